// Per-object adaptation for multi-object scenes: the same reviews, but each item is represented by the
// embedding of one detected region's crop instead of (or chosen by cross-validation against) the global
// image embedding. Regions come from the built-in model's dense detector run with every class as a query
// (no ground-truth boxes): "largest" is the largest proposal box after class-agnostic NMS, cropped tight (no
// context: on 120 two-object scenes the largest proposal overlapped the large object in 119, and zero-shot on
// its tight crop was right 56% of the time vs 45% with 10% context around it). Which view an item set is adapted on can be picked from the reviews alone: the view
// whose adapted classifier has the best cross-validated accuracy ("auto", random review order, where every
// view sees the same reviewed items).
import { embedRegions } from '../../main/engine/adapt/region-embed';
import { DEFAULT_THRESHOLD, DenseClipDetector } from '../../main/engine/detect/detector';
import { type Box, nms } from '../../main/engine/detect/geometry';
import type { ClipModel } from '../../main/engine/vision/clip-model';
import { embedImageFiles } from '../../main/engine/vision/embed-files';
import { type EmbeddedSet, keptScenes, type Setting, truthIndexes } from './data';

export const VIEWS = ['global', 'largest'] as const;
export type View = (typeof VIEWS)[number];

/** One scene set embedded two ways (global image, largest detected region). */
export async function objectViews(model: ClipModel, setting: Setting, n: number, seed: string, classes: string[]): Promise<Record<View, EmbeddedSet>> {
  const scenes = await keptScenes(setting, n, seed);
  const y = truthIndexes(setting, scenes, classes);
  const dim = model.dim;
  const global = new Float32Array(n * dim), largest = new Float32Array(n * dim);
  for await (const b of embedImageFiles(model, scenes.map((s) => new Uint8Array(s.jpeg)), { batchSize: 64 })) {
    b.indexes.forEach((index, row) => global.set(b.embeddings.subarray(row * dim, (row + 1) * dim), index * dim));
  }
  const detector = new DenseClipDetector(model);
  for (let i = 0; i < n; i += 16) {
    const batch = scenes.slice(i, i + 16);
    const found = await detector.detect(batch.map((s) => ({ input: new Uint8Array(s.jpeg) })), { queries: classes, threshold: DEFAULT_THRESHOLD['dense-clip'], segment: false });
    for (let j = 0; j < batch.length; j++) {
      const row = i + j;
      // Class-agnostic: one proposal per place, whatever class it was proposed as.
      const props = found[j].map((p) => ({ ...p, label: '' }));
      const kept = nms(props, 0.5).map((k) => props[k]);
      if (kept.length === 0) {
        largest.set(global.subarray(row * dim, (row + 1) * dim), row * dim);
        continue;
      }
      const area = (b: Box) => b[2] * b[3];
      const big = kept.reduce((a, b) => (area(b.box) > area(a.box) ? b : a));
      largest.set(await embedRegions(model, new Uint8Array(batch[j].jpeg), [big.box], { context: 0 }), row * dim);
    }
  }
  return { global: { x: global, y, n }, largest: { x: largest, y, n } };
}
