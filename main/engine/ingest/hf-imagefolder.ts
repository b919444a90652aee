import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { EntryAnnotation, EntryProblem, IngestEntry, IngestSource } from './entry';
import { takePortable } from './portable';
import { normalizeRle } from '../../domain/rle';
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
        const r = { ...row.record };
        const portable = takePortable(r);
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
        const objects = objectsToAnnotations(r.objects, key);
        yield {
          type: 'file', key: relFile.split(path.sep).join('/'), file, caption: captionColumn ? (r[captionColumn] as string).trim() : null,
          captionOrigin: captionColumn ? `metadata.${captionColumn}` : null, extra: Object.keys(extra).length ? extra : null,
          provenance: { source: 'hf-imagefolder', shard: rel, row: row.line, key: ref }, location: key,
          annotations: [...portable.annotations, ...objects.annotations], scores: portable.scores,
          problems: [...portable.problems.map((message) => ({ kind: 'bad_annotation', message, location: key })), ...objects.problems],
        };
      }
    }
  }
}

/** The Hugging Face detection layout: parallel lists bbox + category, and the score/state/origin/segmentation lists Winnow adds. */
function objectsToAnnotations(objects: unknown, rowLocation: string): { annotations: EntryAnnotation[]; problems: EntryProblem[] } {
  const out = { annotations: [] as EntryAnnotation[], problems: [] as EntryProblem[] };
  if (!objects || typeof objects !== 'object' || Array.isArray(objects)) return out;
  const o = objects as Record<string, unknown>;
  const list = (k: string) => (Array.isArray(o[k]) ? (o[k] as unknown[]) : []);
  const boxes = list('bbox');
  const cats = Array.isArray(o.category) ? list('category') : list('categories');
  const scores = list('score');
  const states = list('state');
  const origins = list('origin');
  const segs = list('segmentation');
  boxes.forEach((b, i) => {
    const location = `${rowLocation}:object ${i + 1}`;
    if (!(Array.isArray(b) && b.length === 4 && b.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
      out.problems.push({ kind: 'bad_annotation', message: `objects.bbox[${i}] ${JSON.stringify(b)?.slice(0, 60)} is not 4 numbers [x, y, width, height]: not imported`, location });
      return;
    }
    const seg = segs[i] as { size: [number, number]; counts: number[] | string } | null | undefined;
    let rle: EntryAnnotation['rle'] = null;
    if (seg && typeof seg === 'object') {
      try {
        rle = normalizeRle(seg);
      } catch (err) {
        out.problems.push({ kind: 'bad_annotation', message: `objects.segmentation[${i}] is malformed (${(err as Error).message}): not imported`, location });
        return;
      }
    }
    const params: Record<string, unknown> = {};
    if (typeof states[i] === 'string') params.exported_state = states[i];
    if (typeof origins[i] === 'string') params.exported_origin = origins[i];
    out.annotations.push({
      kind: rle ? 'mask' : 'box', label: String(cats[i] ?? 'object'), bbox: b as [number, number, number, number], rle,
      score: typeof scores[i] === 'number' ? (scores[i] as number) : null, params: Object.keys(params).length ? params : null, location,
    });
  });
  return out;
}
