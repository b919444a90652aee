// Reads back what Winnow's exporters write next to each item (labels, objects, scores) from a JSON record: webdataset json,
// manifest rows, parquet columns, imagefolder metadata. Fields that do not have the exported shape are left as metadata.
import { normalizeRle } from '../../domain/rle';
import { SIGNAL_NAME_RE } from '../../domain/curation';
import type { EntryAnnotation } from './entry';

const parsed = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
};
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const box = (v: unknown): [number, number, number, number] | null =>
  (Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) ? (v as [number, number, number, number]) : null);
/** What the export said about an annotation's review and origin, kept in its params. */
const exported = (o: Record<string, unknown>) => ({
  ...(typeof o.state === 'string' && { exported_state: o.state }), ...(typeof o.origin === 'string' && { exported_origin: o.origin }),
});

export interface Portable { annotations: EntryAnnotation[]; scores: Record<string, number>; problems: string[] }

/**
 * Takes `labels` ([{label, score, state, origin}]), `objects` ([{kind, label, bbox, score, state, origin, segmentation}]) and
 * `scores` ({name: value}) out of `record` (JSON strings are parsed, as CSV and parquet cells hold them); what does not parse is
 * reported in `problems` and left in the record.
 */
export function takePortable(record: Record<string, unknown>): Portable {
  const out: Portable = { annotations: [], scores: {}, problems: [] };
  const labels = parsed(record.labels);
  if (Array.isArray(labels) && labels.every((l) => l && typeof l === 'object' && typeof (l as { label?: unknown }).label === 'string')) {
    for (const l of labels as Record<string, unknown>[]) out.annotations.push({ kind: 'label', label: l.label as string, score: num(l.score), params: exported(l) });
    delete record.labels;
  }
  const objects = parsed(record.objects);
  if (Array.isArray(objects) && objects.every((o) => o && typeof o === 'object' && typeof (o as { label?: unknown }).label === 'string')) {
    for (const [i, o] of (objects as Record<string, unknown>[]).entries()) {
      const seg = o.segmentation as { size?: unknown; counts?: unknown } | null | undefined;
      let rle: EntryAnnotation['rle'] = null;
      if (seg && typeof seg === 'object') {
        try {
          rle = normalizeRle(seg as { size: [number, number]; counts: number[] | string });
        } catch (err) {
          out.problems.push(`object ${i} (${o.label as string}): ${(err as Error).message}`);
          continue;
        }
      }
      const bbox = box(o.bbox);
      if (!bbox && !rle) { out.problems.push(`object ${i} (${o.label as string}) has neither a box nor a mask`); continue; }
      out.annotations.push({ kind: rle ? 'mask' : 'box', label: o.label as string, score: num(o.score), bbox, rle, params: exported(o) });
    }
    delete record.objects;
  }
  const scores = parsed(record.scores);
  if (scores && typeof scores === 'object' && !Array.isArray(scores)) {
    for (const [name, v] of Object.entries(scores as Record<string, unknown>)) {
      if (SIGNAL_NAME_RE.test(name) && num(v) !== null) out.scores[name] = v as number;
      else out.problems.push(`score ${JSON.stringify(name)} is not a number`);
    }
    delete record.scores;
  }
  return out;
}
