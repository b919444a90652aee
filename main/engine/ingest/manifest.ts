import path from 'node:path';
import type { IngestEntry, IngestSource } from './entry';
import { readRows, type Row } from './rows';

const PATH_COLUMNS = ['path', 'file_name', 'filename', 'file', 'image', 'image_path', 'url', 'uri'];
const CAPTION_COLUMNS = ['caption', 'text', 'TEXT', 'alt', 'description'];

/** A JSONL or CSV manifest: one row per item with a path (relative to the manifest) or URL, a caption, extra columns. */
export class ManifestSource implements IngestSource {
  readonly root: string;

  constructor(readonly file: string, readonly format: 'jsonl' | 'csv') {
    this.root = path.dirname(file);
  }

  async count(signal?: AbortSignal): Promise<number> {
    let n = 0;
    for await (const _ of this.rows(signal)) n++;
    return n;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    let position = 0;
    for await (const row of this.rows(signal)) {
      if (position++ < skip) continue;
      yield this.toEntry(row);
    }
  }

  private toEntry(row: Row): IngestEntry {
    const key = `row:${row.line}`;
    const location = `${path.basename(this.file)}:${row.line}`;
    if (!row.record) return { type: 'bad', key, location, kind: row.errorKind ?? 'bad_row', message: row.error ?? 'unparseable row' };
    const record = row.record;
    const pathColumn = PATH_COLUMNS.find((c) => typeof record[c] === 'string' && (record[c] as string).trim() !== '');
    if (!pathColumn) {
      return { type: 'bad', key, location, kind: 'bad_row', message: `row has no image column (expected one of ${PATH_COLUMNS.join(', ')})` };
    }
    const captionColumn = CAPTION_COLUMNS.find((c) => record[c] !== undefined && record[c] !== null);
    const captionValue = captionColumn ? record[captionColumn] : null;
    // A caption that is an object or list would be stored as "[object Object]": the row is kept without it, with an issue.
    const problems = captionValue !== null && typeof captionValue === 'object'
      ? [{ kind: 'bad_caption', message: `column ${captionColumn} holds ${Array.isArray(captionValue) ? 'a list' : 'an object'}, not text: imported without a caption`, location }]
      : undefined;
    const caption = captionValue === null || problems ? null : String(captionValue);
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(record)) if (k !== pathColumn && (k !== captionColumn || caption === null)) extra[k] = v;
    const extraOrNull = Object.keys(extra).length ? extra : null;
    const ref = (record[pathColumn] as string).trim();
    const captionOrigin = caption !== null ? `manifest.${captionColumn}` : null;
    if (/^https?:\/\//i.test(ref)) return { type: 'remote', key, url: ref, caption, captionOrigin, extra: extraOrNull, problems, location };
    const file = path.resolve(this.root, ref);
    const rel = path.relative(this.root, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      return { type: 'bad', key, location, kind: 'outside_source', message: `path ${ref} points outside the manifest's folder; only files under it are imported` };
    }
    return { type: 'file', key, file, caption, captionOrigin, extra: extraOrNull, problems, location };
  }

  private rows(signal?: AbortSignal): AsyncIterable<Row> {
    return readRows(this.file, this.format, signal);
  }
}
