// Detection metrics: VOC-style all-point AP at an IoU threshold, and mask IoU.
import { type Box, boxIou } from './geometry';

export interface ScoredBox { image: number; box: Box; score: number }
export interface TruthBox { image: number; box: Box }

/** AP of one class: detections sorted by score, greedily matched to unmatched ground truth with IoU ≥ iou. */
export function averagePrecision(dets: readonly ScoredBox[], truths: readonly TruthBox[], iou = 0.5): number {
  if (truths.length === 0) return NaN;
  const byImage = new Map<number, { box: Box; used: boolean }[]>();
  for (const t of truths) {
    const list = byImage.get(t.image) ?? [];
    list.push({ box: t.box, used: false });
    byImage.set(t.image, list);
  }
  const sorted = [...dets].sort((a, b) => b.score - a.score);
  const tp: number[] = [];
  for (const d of sorted) {
    let best = -1, bestIou = iou;
    const list = byImage.get(d.image) ?? [];
    list.forEach((t, k) => {
      const v = boxIou(d.box, t.box);
      if (!t.used && v >= bestIou) { bestIou = v; best = k; }
    });
    if (best >= 0) list[best].used = true;
    tp.push(best >= 0 ? 1 : 0);
  }
  // Precision/recall curve, precision made monotone, area under it (all points).
  const recall: number[] = [];
  const precision: number[] = [];
  let hits = 0;
  tp.forEach((v, i) => {
    hits += v;
    recall.push(hits / truths.length);
    precision.push(hits / (i + 1));
  });
  for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
  let ap = 0, prev = 0;
  recall.forEach((r, i) => {
    ap += (r - prev) * precision[i];
    prev = r;
  });
  return ap;
}

export function maskIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0, union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union > 0 ? inter / union : 0;
}
