// Dense zero-shot detection with a CLIP-style model that exports patch tokens (the built-in model):
// per query a probability per patch (softmax of logitScale·cosine over the queries + "background"),
// connected components of the thresholded patch map → regions; each region's pixels come from the
// map upsampled bilinearly to the original image (through the preprocessing crop), thresholded, so
// boxes and masks follow the object, not the 8-pixel grid.
import { encodeRle, type CocoRle } from '../../domain/rle';
import type { Box, TensorMapping } from './geometry';

/**
 * Per-patch probabilities [queries, tokens] for one image. `patches` [tokens, dim] and `texts`
 * [queries, dim] are L2-normalized. With `others` (rows of [dim]: "background" and any negative
 * phrases): softmax of scale·cosine over queries + others, so a patch of something that is none of
 * the queries goes to "background" or its own phrase instead of the nearest query. Without: the raw
 * cosine (thresholds are then cosines).
 */
export function patchProbabilities(patches: Float32Array, tokens: number, texts: Float32Array, queries: number, dim: number, scale: number, others: Float32Array | null, negatives?: Float32Array | null): Float32Array {
  const out = new Float32Array(queries * tokens);
  const negCount = negatives ? Math.floor(negatives.length / dim) : 0;
  const extra = others ? Math.floor(others.length / dim) : 0;
  const logits = new Float64Array(queries + extra);
  for (let t = 0; t < tokens; t++) {
    const p = t * dim;
    let max = -Infinity;
    for (let q = 0; q < queries + extra; q++) {
      const v = q < queries ? texts.subarray(q * dim, (q + 1) * dim) : others!.subarray((q - queries) * dim, (q - queries + 1) * dim);
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += patches[p + d] * v[d];
      logits[q] = others ? scale * dot : dot;
      if (logits[q] > max) max = logits[q];
    }
    if (!others) {
      for (let q = 0; q < queries; q++) out[q * tokens + t] = logits[q];
      continue;
    }
    let sum = 0;
    for (let q = 0; q < queries + extra; q++) sum += Math.exp(logits[q] - max);
    // Veto by negative phrases: a patch a non-query phrase matches better than query q loses q's
    // probability smoothly (factor min(1, 2·σ(l_q − l_neg))); it does not dilute the softmax.
    let negMax = -Infinity;
    for (let n = 0; n < negCount; n++) {
      let dot = 0;
      const v = negatives!.subarray(n * dim, (n + 1) * dim);
      for (let d = 0; d < dim; d++) dot += patches[p + d] * v[d];
      if (scale * dot > negMax) negMax = scale * dot;
    }
    for (let q = 0; q < queries; q++) {
      const veto = negCount ? Math.min(1, 2 / (1 + Math.exp(-(logits[q] - negMax)))) : 1;
      out[q * tokens + t] = (Math.exp(logits[q] - max) / sum) * veto;
    }
  }
  return out;
}

/** 8-connected components of cells ≥ threshold on a rows×cols grid; -1 = below. Returns labels and count. */
export function gridComponents(map: ArrayLike<number>, rows: number, cols: number, threshold: number): { labels: Int32Array; count: number } {
  const labels = new Int32Array(rows * cols).fill(-1);
  let count = 0;
  const stack: number[] = [];
  for (let start = 0; start < rows * cols; start++) {
    if (labels[start] !== -1 || map[start] < threshold) continue;
    labels[start] = count;
    stack.push(start);
    while (stack.length) {
      const c = stack.pop()!;
      const r = Math.floor(c / cols);
      const k = c % cols;
      for (let dr = -1; dr <= 1; dr++) {
        for (let dk = -1; dk <= 1; dk++) {
          const rr = r + dr;
          const kk = k + dk;
          if (rr < 0 || kk < 0 || rr >= rows || kk >= cols) continue;
          const n = rr * cols + kk;
          if (labels[n] === -1 && map[n] >= threshold) {
            labels[n] = count;
            stack.push(n);
          }
        }
      }
    }
    count++;
  }
  return { labels, count };
}

export interface DenseRegion {
  box: Box;
  /** Max patch probability inside the region. */
  score: number;
  /** Mean patch probability over the region's cells. */
  mean: number;
  cells: number;
  rle?: CocoRle;
}

export interface DenseOptions {
  threshold: number;
  segment: boolean;
  /** Regions with fewer upsampled pixels are dropped (default 4). */
  minPixels?: number;
  /** Mask pixels need at least this value (default: threshold; capped per region halfway to its peak); boxes are the extent of the pixels ≥ threshold. */
  maskThreshold?: number;
}

/**
 * Regions of one query's patch map on the original image. Pixels outside the crop the model saw are
 * never part of a region.
 */
export function denseRegions(map: ArrayLike<number>, grid: [number, number], mapping: TensorMapping, width: number, height: number, options: DenseOptions): DenseRegion[] {
  const [rows, cols] = grid;
  const { labels, count } = gridComponents(map, rows, cols, options.threshold);
  if (count === 0) return [];
  const cellW = mapping.tw / cols;
  const cellH = mapping.th / rows;
  const minX = new Int32Array(count).fill(width);
  const minY = new Int32Array(count).fill(height);
  const maxX = new Int32Array(count).fill(-1);
  const maxY = new Int32Array(count).fill(-1);
  const pixels = new Int32Array(count);
  const owner = options.segment ? new Int32Array(width * height).fill(-1) : null;
  // Per region: the mask threshold, but never above halfway from the threshold to the region's peak (a weak region keeps a mask).
  const peak = new Float64Array(count);
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0 && map[i] > peak[labels[i]]) peak[labels[i]] = map[i];
  const maskCut = Array.from(peak, (p) => Math.max(options.threshold, Math.min(options.maskThreshold ?? options.threshold, (options.threshold + p) / 2)));
  const gxs = new Float64Array(width);
  for (let x = 0; x < width; x++) gxs[x] = mapping.toTensorX(x + 0.5);
  for (let y = 0; y < height; y++) {
    const yt = mapping.toTensorY(y + 0.5);
    if (yt < 0 || yt >= mapping.th) continue;
    const gy = Math.min(rows - 1, Math.max(0, yt / cellH - 0.5));
    const r0 = Math.floor(gy);
    const r1 = Math.min(rows - 1, r0 + 1);
    const fy = gy - r0;
    for (let x = 0; x < width; x++) {
      const xt = gxs[x];
      if (xt < 0 || xt >= mapping.tw) continue;
      const gx = Math.min(cols - 1, Math.max(0, xt / cellW - 0.5));
      const c0 = Math.floor(gx);
      const c1 = Math.min(cols - 1, c0 + 1);
      const fx = gx - c0;
      const a = map[r0 * cols + c0], b = map[r0 * cols + c1], c = map[r1 * cols + c0], d = map[r1 * cols + c1];
      const v = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy;
      if (v < options.threshold) continue;
      // The pixel belongs to the component of its nearest above-threshold corner cell.
      let comp = labels[Math.round(gy) * cols + Math.round(gx)];
      if (comp < 0) {
        let best = -Infinity;
        for (const [cell, value] of [[r0 * cols + c0, a], [r0 * cols + c1, b], [r1 * cols + c0, c], [r1 * cols + c1, d]] as const) {
          if (labels[cell] >= 0 && value > best) { best = value; comp = labels[cell]; }
        }
      }
      if (comp < 0) continue;
      pixels[comp]++;
      if (x < minX[comp]) minX[comp] = x;
      if (x > maxX[comp]) maxX[comp] = x;
      if (y < minY[comp]) minY[comp] = y;
      if (y > maxY[comp]) maxY[comp] = y;
      if (owner && v >= maskCut[comp]) owner[y * width + x] = comp;
    }
  }
  const regions: DenseRegion[] = [];
  for (let comp = 0; comp < count; comp++) {
    if (pixels[comp] < (options.minPixels ?? 4)) continue;
    let max = 0, sum = 0, cells = 0;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] !== comp) continue;
      cells++;
      sum += map[i];
      if (map[i] > max) max = map[i];
    }
    const region: DenseRegion = { box: [minX[comp], minY[comp], maxX[comp] - minX[comp] + 1, maxY[comp] - minY[comp] + 1], score: max, mean: sum / cells, cells };
    if (owner) {
      const mask = new Uint8Array(width * height);
      for (let i = 0; i < owner.length; i++) if (owner[i] === comp) mask[i] = 1;
      region.rle = encodeRle(mask, height, width);
    }
    regions.push(region);
  }
  return regions;
}
