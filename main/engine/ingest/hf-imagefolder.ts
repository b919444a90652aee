import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { EntryAnnotation, EntryProblem, IngestEntry, IngestSource } from './entry';
import { readRows } from './rows';

const CAPTION_COLUMNS = ['text', 'caption', 'TEXT', 'alt', 'description'];

interface Unit { dir: string; split: string | null; file: string; format: 'jsonl' | 'csv' }

/** Finds metadata.jsonl / metadata.csv at the root and in split folders (train/, validation/, test/, ...). */
export async function imageFolderUnits(root: string): Promise<Unit[]> {
  const units: Unit[] = [];
  const add = (dir: string, split: string | null) => {
    for (const [name, format] of [['metadata.jsonl', 'jsonl'], ['metadata.csv', 'csv']] as const) {
      const file = path.join(dir, name);
      if (existsSync(file)) { units.push({ dir, split, file, format }); return; }
    }
  };
  add(root, null);
  const dirs = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  for (const d of dirs) add(path.join(root, d), d);
  return units;
}

/**
 * Hugging Face imagefolder: `metadata.jsonl`/`metadata.csv` with `file_name` + a text column, per split folder; the split is kept
 * as metadata and an `objects` column ({bbox: [[x,y,w,h]...], category: [...]}) becomes box annotations.
 */
export class HfImageFolderSource implements IngestSource {
  constructor(readonly root: string) {}

  async count(signal?: AbortSignal): Promise<number> {
    let n = 0;
    for (const u of await imageFolderUnits(this.root)) for await (const _ of readRows(u.file, u.format, signal)) n++;
    return n;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    let position = 0;
    for (const u of await imageFolderUnits(this.root)) {
      const rel = path.relative(this.root, u.file).split(path.sep).join('/');
      for await (const row of readRows(u.file, u.format, signal)) {
        if (position++ < skip) continue;
        const key = `${rel}:${row.line}`;
        if (!row.record) { yield { type: 'bad', key, location: key, kind: row.errorKind ?? 'bad_row', message: row.error ?? 'unparseable row' }; continue; }
        const r = row.record;
        const ref = typeof r.file_name === 'string' ? r.file_name : null;
        if (!ref) { yield { type: 'bad', key, location: key, kind: 'bad_row', message: 'row has no file_name' }; continue; }
        const file = path.resolve(u.dir, ref);
        const relFile = path.relative(this.root, file);
        if (relFile.startsWith('..') || path.isAbsolute(relFile)) {
          yield { type: 'bad', key, location: key, kind: 'outside_source', message: `file_name ${ref} points outside the dataset folder` };
          continue;
        }
        const captionColumn = CAPTION_COLUMNS.find((c) => typeof r[c] === 'string');
        const extra: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(r)) if (k !== 'file_name' && k !== captionColumn && k !== 'objects') extra[k] = v;
        if (u.split) extra.split = u.split;
        yield {
          type: 'file', key: relFile.split(path.sep).join('/'), file, caption: captionColumn ? (r[captionColumn] as string).trim() : null,
          captionOrigin: captionColumn ? `metadata.${captionColumn}` : null, extra: Object.keys(extra).length ? extra : null,
          provenance: { source: 'hf-imagefolder', shard: rel, row: row.line, key: ref }, ...objectsToAnnotations(r.objects, key), location: key,
        };
      }
    }
  }
}

function objectsToAnnotations(objects: unknown, rowLocation: string): { annotations?: EntryAnnotation[]; problems?: EntryProblem[] } {
  if (!objects || typeof objects !== 'object') return {};
  const o = objects as { bbox?: unknown; category?: unknown; categories?: unknown };
  const boxes = Array.isArray(o.bbox) ? o.bbox : [];
  const cats = (Array.isArray(o.category) ? o.category : Array.isArray(o.categories) ? o.categories : []) as unknown[];
  const annotations: EntryAnnotation[] = [];
  const problems: EntryProblem[] = [];
  boxes.forEach((b, i) => {
    const location = `${rowLocation}:object ${i + 1}`;
    if (Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      annotations.push({ kind: 'box', label: String(cats[i] ?? 'object'), bbox: b as [number, number, number, number], location });
    } else problems.push({ kind: 'bad_annotation', message: `objects.bbox[${i}] ${JSON.stringify(b)?.slice(0, 60)} is not 4 numbers [x, y, width, height]: not imported`, location });
  });
  return { annotations, problems };
}
