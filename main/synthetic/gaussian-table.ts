// Fast gaussian noise for whole images: Box-Muller per pixel channel dominated generation time, so
// noise backgrounds read a 65,536-entry inverse-CDF table instead (two draws per 32-bit word).
// Tails are cut at the table's extreme quantile (about 4.3 sigma), which no 8-bit image can tell.
import type { Rng } from './random';

/** Acklam's rational approximation of the standard normal inverse CDF (relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -inverseNormalCdf(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const TABLE_SIZE = 65536;
let table: Float32Array | undefined;

function gaussianTable(): Float32Array {
  if (!table) {
    table = new Float32Array(TABLE_SIZE);
    // Midpoint quantiles: each entry stands for an equal slice of probability.
    for (let i = 0; i < TABLE_SIZE; i++) table[i] = inverseNormalCdf((i + 0.5) / TABLE_SIZE);
  }
  return table;
}

/** Fills `out` with independent N(0, sigma) draws. */
export function fillGaussian(rng: Rng, out: Float32Array, sigma: number): void {
  const t = gaussianTable();
  let i = 0;
  for (; i + 1 < out.length; i += 2) {
    const word = rng.nextUint32();
    out[i] = t[word & 0xffff] * sigma;
    out[i + 1] = t[word >>> 16] * sigma;
  }
  if (i < out.length) out[i] = t[rng.nextUint32() & 0xffff] * sigma;
}
