// The per-item work of a plan's stages on one batch of a shard: pixel statistics and pHash, zero-shot labels,
// concept scores, detection. Each calls the project job's own per-item function (stats-job measurePixels,
// label-job scoreSingle/scoreMulti, zero-shot cosines, the detector), so a shard computes what the app computes.
import { LABEL_SIGNAL, scoreMulti, scoreSingle } from '../../curate/label-job';
import { measurePixels, PIXEL_SIGNALS } from '../../curate/stats-job';
import { cosines } from '../../curate/zero-shot';
import { detectOptions, passesMinScore, proposalBox } from '../../detect/detect-job';
import { mapLimit } from '../../jobs/map-limit';
import { embedImageFiles } from '../../vision/embed-files';
import type { ItemRow } from '../item-table';
import type { AnnotationRow } from './annotation-table';
import type { ShardStages } from './shard-stages';

/** An item of the batch: its row (signals are added to it), its bytes (null: unreadable) and its image vector from the plan's model. */
export interface StageItem { row: ItemRow; bytes: Uint8Array | null; image: Float32Array | null }

/** A stage that failed on one item (the item keeps its other outputs); listed in shard.json. */
export interface StageError { source: number; key: string; stage: string; message: string }

/** Same as the stats job: decodes a few images at once (libvips threads + the event loop). */
const DECODE_CONCURRENCY = 3;

export async function runStages(st: ShardStages, items: StageItem[], annotations: AnnotationRow[], errors: StageError[], signal?: AbortSignal): Promise<void> {
  const readable = items.filter((i) => i.bytes);
  if (st.stats) {
    const measured = await mapLimit(readable, DECODE_CONCURRENCY, (i) => measurePixels(i.bytes!));
    readable.forEach((item, n) => {
      const m = measured[n];
      // Unreadable: no pixel signals (as in a project), the row's error already says why.
      if ('error' in m) return;
      for (const [stat, name] of Object.entries(PIXEL_SIGNALS)) item.row.signals[name] = m[stat as keyof typeof PIXEL_SIGNALS];
      item.row.phash = m.phash;
    });
  }
  if (st.labels) await labelItems(st.labels, items, annotations, signal);
  if (st.concepts) {
    const { names, matrix } = st.concepts;
    const cos = new Float32Array(names.length);
    for (const item of items) {
      if (!item.image) continue;
      cosines(item.image, matrix, item.image.length, cos);
      names.forEach((name, c) => (item.row.signals[name] = cos[c]));
    }
  }
  if (st.detect) {
    const { plan, id, detector, threshold } = st.detect;
    const options = detectOptions(plan, threshold);
    for (const item of readable) {
      signal?.throwIfAborted();
      try {
        const [found] = await detector.detect([{ input: item.bytes! }], options);
        for (const d of found) {
          if (!passesMinScore(plan.minScores, d)) continue;
          const [x, y, w, h] = proposalBox(d);
          annotations.push({ source: item.row.source, key: item.row.key, label: d.label, score: d.score, x, y, w, h, mask: d.rle ? JSON.stringify(d.rle) : null, model: id });
        }
      } catch (err) {
        errors.push({ source: item.row.source, key: item.row.key, stage: 'detect', message: (err as Error).message });
      }
    }
  }
}

async function labelItems(l: NonNullable<ShardStages['labels']>, items: StageItem[], annotations: AnnotationRow[], signal?: AbortSignal): Promise<void> {
  const vectors = new Map<StageItem, Float32Array>();
  if (!l.pool) {
    for (const item of items) if (item.image) vectors.set(item, item.image);
  } else {
    // The label model is not the plan's: its own image vectors (not kept; the plan's model fills the matrices).
    const readable = items.filter((i) => i.bytes);
    const dim = l.clip.dim;
    for await (const out of embedImageFiles(l.clip, readable.map((i) => i.bytes!), { pool: l.pool, batchSize: Math.max(1, readable.length), signal })) {
      out.indexes.forEach((i, r) => vectors.set(readable[i], out.embeddings.slice(r * dim, (r + 1) * dim)));
    }
  }
  const p = l.plan;
  const cos = new Float32Array(p.classes.length);
  for (const [item, vec] of vectors) {
    cosines(vec, l.classes, vec.length, cos);
    const r = p.multiLabel ? scoreMulti(cos, l.scale, l.tc!, p) : scoreSingle(cos, l.scale, p);
    item.row.signals[LABEL_SIGNAL.confidence] = r.confidence;
    item.row.signals[LABEL_SIGNAL.margin] = r.margin;
    item.row.signals[LABEL_SIGNAL.uncertain] = r.uncertain ? 1 : 0;
    for (const lab of r.labels) {
      annotations.push({ source: item.row.source, key: item.row.key, label: p.classes[lab.index].name, score: lab.prob, x: null, y: null, w: null, h: null, mask: null, model: p.model });
    }
  }
}
