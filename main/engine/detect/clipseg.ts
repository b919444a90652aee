// CLIPSeg post-processing (pure): logits per query [Q, h, w] → sigmoid → bilinear resize to the
// original image (the processor stretches the image to h×w, so the map covers it exactly) →
// threshold → mask → COCO RLE, with the mask's box and mean probability as the score.
import { encodeRle, type CocoRle } from '../../domain/rle';
import type { Box } from './geometry';
import { sigmoid } from './owl';

export interface SegmentResult {
  label: string;
  queryIndex: number;
  /** Mean probability over the mask's pixels. */
  score: number;
  box: Box;
  rle: CocoRle;
  area: number;
}

/** Bilinear resize (align_corners = false, as torch.nn.functional.interpolate) of an h×w map to H×W. */
export function resizeBilinear(map: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / H - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < W; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / W - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      out[y * W + x] = (map[y0 * w + x0] * (1 - fx) + map[y0 * w + x1] * fx) * (1 - fy) + (map[y1 * w + x0] * (1 - fx) + map[y1 * w + x1] * fx) * fy;
    }
  }
  return out;
}

export function clipsegPostprocess(logits: ArrayLike<number>, queries: readonly string[], h: number, w: number, width: number, height: number, threshold: number, thresholds?: Record<string, number>): SegmentResult[] {
  const results: SegmentResult[] = [];
  queries.forEach((label, q) => {
    const probs = new Float32Array(h * w);
    for (let i = 0; i < h * w; i++) probs[i] = sigmoid(logits[q * h * w + i]);
    const big = resizeBilinear(probs, h, w, height, width);
    const t = thresholds?.[label] ?? threshold;
    const mask = new Uint8Array(width * height);
    let area = 0, sum = 0, minX = width, minY = height, maxX = -1, maxY = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const v = big[y * width + x];
        if (v < t) continue;
        mask[y * width + x] = 1;
        area++;
        sum += v;
        if (x < minX) minX = x;
        if (x > maxX) maxX = x;
        if (y < minY) minY = y;
        if (y > maxY) maxY = y;
      }
    }
    if (area === 0) return;
    results.push({ label, queryIndex: q, score: sum / area, box: [minX, minY, maxX - minX + 1, maxY - minY + 1], rle: encodeRle(mask, height, width), area });
  });
  return results;
}
