// OWL-ViT / OWLv2 post-processing (pure): per-box class logits → sigmoid scores, normalized
// (cx, cy, w, h) boxes → original-image pixel [x, y, w, h], per-query thresholds, NMS.
// OWL-ViT resizes the image to a square (boxes are relative to the image itself); OWLv2 first pads
// the image to a square at the bottom/right with its longer side, so boxes are relative to that
// padded square: both axes scale by max(width, height).
import { type Box, clampBox, nms, roundBox } from './geometry';

export type OwlVariant = 'owlvit' | 'owlv2';

export interface OwlOutputs {
  /** [numBoxes, numQueries] raw class logits. */
  logits: ArrayLike<number>;
  /** [numBoxes, 4] normalized cx, cy, w, h. */
  boxes: ArrayLike<number>;
  numBoxes: number;
  numQueries: number;
}

export interface Detection {
  label: string;
  queryIndex: number;
  score: number;
  box: Box;
}

export interface PostprocessOptions {
  queries: readonly string[];
  width: number;
  height: number;
  /** Default score threshold (0.1 is HF's default for OWL). */
  threshold: number;
  /** Per-query thresholds by query text. */
  thresholds?: Record<string, number>;
  /** NMS IoU; 1 disables (default 0.3 as in HF's OWL examples... we use 0.5 unless given). */
  nmsIou?: number;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Converts one normalized cx,cy,w,h box to pixels of the original image. */
export function owlBoxToPixels(cx: number, cy: number, w: number, h: number, width: number, height: number, variant: OwlVariant): Box {
  const sx = variant === 'owlv2' ? Math.max(width, height) : width;
  const sy = variant === 'owlv2' ? Math.max(width, height) : height;
  return [(cx - w / 2) * sx, (cy - h / 2) * sy, w * sx, h * sy];
}

/** Each predicted box keeps its best query (as HF's post_process_object_detection); boxes below the query's threshold are dropped; then NMS per label. */
export function owlPostprocess(out: OwlOutputs, variant: OwlVariant, o: PostprocessOptions): Detection[] {
  if (o.queries.length !== out.numQueries) throw new Error(`${o.queries.length} queries but logits have ${out.numQueries}`);
  const dets: Detection[] = [];
  for (let b = 0; b < out.numBoxes; b++) {
    let best = 0;
    for (let q = 1; q < out.numQueries; q++) if (out.logits[b * out.numQueries + q] > out.logits[b * out.numQueries + best]) best = q;
    const score = sigmoid(out.logits[b * out.numQueries + best]);
    const label = o.queries[best];
    if (score < (o.thresholds?.[label] ?? o.threshold)) continue;
    const raw = owlBoxToPixels(out.boxes[b * 4], out.boxes[b * 4 + 1], out.boxes[b * 4 + 2], out.boxes[b * 4 + 3], o.width, o.height, variant);
    const box = clampBox(raw, o.width, o.height);
    if (box[2] <= 0 || box[3] <= 0) continue;
    dets.push({ label, queryIndex: best, score, box: roundBox(box) });
  }
  return nms(dets, o.nmsIou ?? 0.5).map((i) => dets[i]);
}
