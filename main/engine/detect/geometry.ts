// Boxes, IoU, non-maximum suppression and the tensor → original-image mapping of the preprocessing crop.
import { computeGeometry } from '../vision/preprocess';
import type { PreprocessSpec } from '../vision/preprocess-spec';
import { type Box, boxIou } from '../../domain/rle';

/** Boxes are [x, y, w, h] in original-image pixels, as the generator and COCO write them. */
export { type Box, boxIou };

/** Greedy NMS per label: keeps the highest-scoring box and drops same-label boxes overlapping it above `iou`. Returns kept input indexes, by score. */
export function nms<T extends { box: Box; score: number; label: string }>(dets: readonly T[], iou = 0.5): number[] {
  const order = dets.map((_, i) => i).sort((a, b) => dets[b].score - dets[a].score);
  const kept: number[] = [];
  for (const i of order) {
    if (kept.every((k) => dets[k].label !== dets[i].label || boxIou(dets[k].box, dets[i].box) <= iou)) kept.push(i);
  }
  return kept;
}

/**
 * Maps model-input (tensor) coordinates to original-image pixels for shortest-edge resize + center
 * crop (or exact resize): x_img = (x_t − padLeft + crop.left) · W / resizeWidth.
 */
export interface TensorMapping {
  /** Tensor size. */
  tw: number;
  th: number;
  toImageX(xt: number): number;
  toImageY(yt: number): number;
  /** Inverse: original-image pixel → tensor coordinate. */
  toTensorX(x: number): number;
  toTensorY(y: number): number;
}

export function tensorMapping(spec: PreprocessSpec, width: number, height: number): TensorMapping {
  const g = computeGeometry(spec, width, height);
  const sx = width / g.resizeWidth;
  const sy = height / g.resizeHeight;
  const ox = g.crop.left - g.padLeft;
  const oy = g.crop.top - g.padTop;
  return {
    tw: spec.width, th: spec.height,
    toImageX: (xt) => (xt + ox) * sx,
    toImageY: (yt) => (yt + oy) * sy,
    toTensorX: (x) => x / sx - ox,
    toTensorY: (y) => y / sy - oy,
  };
}

export const clampBox = (b: Box, width: number, height: number): Box => {
  const x0 = Math.max(0, Math.min(width, b[0]));
  const y0 = Math.max(0, Math.min(height, b[1]));
  const x1 = Math.max(0, Math.min(width, b[0] + b[2]));
  const y1 = Math.max(0, Math.min(height, b[1] + b[3]));
  return [x0, y0, x1 - x0, y1 - y0];
};

export const roundBox = (b: Box): Box => b.map((v) => Math.round(v * 100) / 100) as Box;
