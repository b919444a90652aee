import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
// hyparquet is loaded when a Parquet source is first read, not by every command that imports the ingest code.
const hyparquet = () => import('hyparquet');
import { cellBytes } from '../media/embedded';
import type { IngestEntry, IngestSource, Provenance } from './entry';
import { jsonSafe } from './json-safe';
import { takePortable } from './portable';

/** Winnow's Parquet export names score columns `score:<signal>`. */
const SCORE_PREFIX = 'score:';

const URL_COLUMNS = ['url', 'URL', 'image_url'];
const CAPTION_COLUMNS = ['caption', 'TEXT', 'text', 'alt', 'description'];
const BYTES_COLUMNS = ['jpg', 'image', 'image_bytes', 'bytes', 'img', 'png', 'webp', 'jpeg'];
/** `uri` is what Winnow's Parquet export writes for a row without image bytes (the original file's path). */
const PATH_COLUMNS = ['file_name', 'path', 'image_path', 'uri'];

/**
 * Parquet (LAION / img2dataset / Hugging Face): one row per item with a URL, a caption, optional image bytes and extra
 * columns kept as metadata. Read one row group at a time. Embedded image bytes stay in the parquet file: the item's uri is
 * `<file>#row=<n>` and its provenance names the row and column, so media reads just that cell back when needed.
 */
export class ParquetSource implements IngestSource {
  readonly root: string;

  constructor(readonly location: string) {
    this.root = location.toLowerCase().endsWith('.parquet') ? path.dirname(location) : location;
  }

  async files(): Promise<string[]> {
    if ((await stat(this.location)).isFile()) return [this.location];
    return (await readdir(this.location)).filter((n) => n.toLowerCase().endsWith('.parquet') && !n.startsWith('.')).sort().map((n) => path.join(this.location, n));
  }

  async count(signal?: AbortSignal): Promise<number> {
    const { asyncBufferFromFile, parquetMetadataAsync } = await hyparquet();
    let n = 0;
    for (const f of await this.files()) {
      signal?.throwIfAborted();
      n += Number((await parquetMetadataAsync(await asyncBufferFromFile(f))).num_rows);
    }
    return n;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await hyparquet();
    let position = 0;
    for (const f of await this.files()) {
      const file = await asyncBufferFromFile(f);
      const metadata = await parquetMetadataAsync(file);
      const columns = parquetSchema(metadata).children.map((c) => c.element.name);
      let rowStart = 0;
      for (const group of metadata.row_groups) {
        signal?.throwIfAborted();
        const rows = Number(group.num_rows);
        const rowEnd = rowStart + rows;
        if (position + rows <= skip) {
          position += rows;
          rowStart = rowEnd;
          continue;
        }
        const records = await parquetReadObjects({ file, metadata, rowStart, rowEnd, utf8: false });
        for (let i = 0; i < records.length; i++) {
          if (position++ < skip) continue;
          yield this.toEntry(f, rowStart + i, records[i], columns);
        }
        rowStart = rowEnd;
      }
    }
  }

  /** Each file's row-group sizes, in file order: the natural units a scale-out shard reads. */
  async rowGroups(signal?: AbortSignal): Promise<Array<{ file: string; rows: number[] }>> {
    const { asyncBufferFromFile, parquetMetadataAsync } = await hyparquet();
    const out: Array<{ file: string; rows: number[] }> = [];
    for (const f of await this.files()) {
      signal?.throwIfAborted();
      out.push({ file: f, rows: (await parquetMetadataAsync(await asyncBufferFromFile(f))).row_groups.map((g) => Number(g.num_rows)) });
    }
    return out;
  }

  /** Rows [from, to) of one file, decoding only the row groups they overlap; `stats` counts what was decoded. */
  async *range(file: string, from: number, to: number, signal?: AbortSignal, stats?: { rowGroups: number; rows: number }): AsyncIterable<IngestEntry> {
    const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } = await hyparquet();
    const buffer = await asyncBufferFromFile(file);
    const metadata = await parquetMetadataAsync(buffer);
    const columns = parquetSchema(metadata).children.map((c) => c.element.name);
    let rowStart = 0;
    for (const group of metadata.row_groups) {
      const rowEnd = rowStart + Number(group.num_rows);
      if (rowEnd > from && rowStart < to) {
        signal?.throwIfAborted();
        const records = await parquetReadObjects({ file: buffer, metadata, rowStart, rowEnd, utf8: false });
        if (stats) { stats.rowGroups++; stats.rows += records.length; }
        for (let i = Math.max(0, from - rowStart); i < records.length && rowStart + i < to; i++) yield this.toEntry(file, rowStart + i, records[i], columns);
      }
      rowStart = rowEnd;
    }
  }

  private toEntry(file: string, row: number, record: Record<string, unknown>, columns: string[]): IngestEntry {
    // Unannotated binary columns arrive as bytes: only the image columns stay binary, text columns are decoded.
    for (const c of columns) if (record[c] instanceof Uint8Array && !BYTES_COLUMNS.includes(c)) record[c] = new TextDecoder().decode(record[c] as Uint8Array);
    const portable = takePortable(record);
    for (const c of columns) {
      if (!c.startsWith(SCORE_PREFIX)) continue;
      const v = record[c];
      if (typeof v === 'number' && Number.isFinite(v)) portable.scores[c.slice(SCORE_PREFIX.length)] = v;
      delete record[c];
    }
    if (typeof record.metadata === 'string' && record.metadata.startsWith('{')) {
      try { record.metadata = JSON.parse(record.metadata); } catch { /* left as text */ }
    }
    columns = columns.filter((c) => c in record);
    const name = path.basename(file);
    const key = typeof record.key === 'string' && record.key ? `${name}/${record.key}` : `${name}:${row}`;
    const location = `${name}:row ${row}`;
    const captionColumn = CAPTION_COLUMNS.find((c) => typeof record[c] === 'string');
    const caption = captionColumn ? (record[captionColumn] as string).trim() : null;
    const bytesColumn = BYTES_COLUMNS.find((c) => cellBytes(record[c]) !== null);
    const urlColumn = URL_COLUMNS.find((c) => typeof record[c] === 'string' && /^https?:\/\//i.test(record[c] as string));
    const pathColumn = PATH_COLUMNS.find((c) => typeof record[c] === 'string' && record[c]);
    const extra: Record<string, unknown> = {};
    for (const c of columns) {
      if (c === captionColumn || c === bytesColumn || c === urlColumn) continue;
      const v = jsonSafe(record[c]);
      if (v !== undefined && v !== null) extra[c] = v;
    }
    if (urlColumn) extra.url = record[urlColumn];
    if (portable.problems.length) extra.annotation_errors = portable.problems;
    const common = {
      key, caption, captionOrigin: captionColumn ? `parquet.${captionColumn}` : null, extra: Object.keys(extra).length ? extra : null,
      annotations: portable.annotations, scores: portable.scores,
    };
    const provenance: Provenance = { source: 'parquet', shard: name, row, key: typeof record.key === 'string' ? record.key : undefined };
    if (bytesColumn) {
      const data = cellBytes(record[bytesColumn])!;
      return { type: 'embedded', ...common, uri: `${file}#row=${row}`, name: '', data, provenance: { ...provenance, column: bytesColumn } };
    }
    if (urlColumn) return { type: 'remote', ...common, url: record[urlColumn] as string, provenance };
    if (pathColumn) {
      const ref = record[pathColumn] as string;
      const abs = path.resolve(this.root, ref);
      const rel = path.relative(this.root, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        return { type: 'bad', key, location, kind: 'outside_source', message: `path ${ref} points outside the parquet file's folder (only files under it are imported; a Winnow export made with includeImages=true carries the images itself)` };
      }
      return { type: 'file', ...common, file: abs, provenance };
    }
    return { type: 'bad', key, location, kind: 'bad_row', message: `row has no image bytes, url or path (looked for ${[...BYTES_COLUMNS, ...URL_COLUMNS, ...PATH_COLUMNS].join(', ')})` };
  }
}
