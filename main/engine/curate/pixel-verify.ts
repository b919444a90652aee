// Pixel verification of near-duplicate candidates: is one image a re-encode, resize, brightness change or
// crop of the other? Embeddings say two images show the same thing; for copies that is not enough (two
// photos of the same kind of scene embed alike), so every candidate pair is aligned on small grey
// fingerprints and scored by normalized cross-correlation, which ignores gain and offset (brightness).
// The correlation runs on the high-pass detail (grey minus its 5×5 local mean): raw grey levels are
// dominated by large flat shapes, so two different pictures of one big red disc would correlate at 0.98,
// while their edges and textures do not line up (measured on the synthetic dirty set: planted copies
// 0.86-0.999, distinct same-content scenes ≤ 0.69).
// Pure maths on Float32Arrays; decoding lives in fingerprint-file.ts.

import { SEMANTIC_DEDUP_DEFAULTS } from '../../domain/similarity-defaults';

export const FP_SIZE = 48;

export interface Fingerprint {
  /** Original pixel size: a crop changes the aspect ratio, which pins one of the alignment's unknowns. */
  width: number;
  height: number;
  /** FP_SIZE × FP_SIZE high-pass detail of the whole image (stretched to a square); see fingerprint(). */
  detail: Float32Array;
}

/** Default minimum alignmentScore for two images to count as copies (see the measurement above). */
export const DEFAULT_MIN_ALIGNMENT = SEMANTIC_DEDUP_DEFAULTS.minAlignment;

/** A fingerprint from FP_SIZE² grey levels: subtracts the 5×5 local mean (edges clamp the window). */
export function fingerprint(width: number, height: number, grey: ArrayLike<number>): Fingerprint {
  const S = FP_SIZE;
  const r = 2;
  const detail = new Float32Array(S * S);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let sum = 0;
      let n = 0;
      for (let yy = Math.max(0, y - r); yy <= Math.min(S - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(S - 1, x + r); xx++) {
          sum += grey[yy * S + xx];
          n++;
        }
      }
      detail[y * S + x] = grey[y * S + x] - sum / n;
    }
  }
  return { width, height, detail };
}

export interface AlignmentOptions {
  /** Smallest share of the other image's width or height a crop may keep (0.8 = up to 20% cut per side pair). */
  minFraction?: number;
}

/** Bilinear sample at continuous pixel coordinates (pixel centres at integer + 0.5 are exact). */
function sample(img: Float32Array, x: number, y: number): number {
  const S = FP_SIZE;
  const fx = Math.min(S - 1, Math.max(0, x - 0.5));
  const fy = Math.min(S - 1, Math.max(0, y - 0.5));
  const x0 = Math.floor(fx);
  const y0 = Math.floor(fy);
  const x1 = Math.min(S - 1, x0 + 1);
  const y1 = Math.min(S - 1, y0 + 1);
  const ax = fx - x0;
  const ay = fy - y0;
  const top = img[y0 * S + x0] * (1 - ax) + img[y0 * S + x1] * ax;
  const bottom = img[y1 * S + x0] * (1 - ax) + img[y1 * S + x1] * ax;
  return top * (1 - ay) + bottom * ay;
}

/**
 * Zero-mean normalized cross-correlation between `inner` and the region of `outer` starting at (ox, oy)
 * and spanning (fx, fy), all as fractions of `outer`, sampled every `step` pixels of `inner`.
 */
function correlation(outer: Float32Array, inner: Float32Array, fx: number, fy: number, ox: number, oy: number, step: number): number {
  const S = FP_SIZE;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0, n = 0;
  for (let v = step / 2; v < S; v += step) {
    const y = (oy + (fy * v) / S) * S;
    for (let u = step / 2; u < S; u += step) {
      const a = sample(outer, (ox + (fx * u) / S) * S, y);
      const b = inner[Math.floor(v) * S + Math.floor(u)];
      sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; n++;
    }
  }
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  const flat = 1e-3 * n;
  // Featureless images (flat colour) carry no evidence either way: call them copies only if both are flat.
  if (va < flat || vb < flat) return va < flat && vb < flat ? 1 : 0;
  return (sab - (sa * sb) / n) / Math.sqrt(va * vb);
}

interface Pose { fx: number; fy: number; ox: number; oy: number; score: number }

/** Best pose of `inner` as a (possibly rescaled) crop of `outer` on a coarse grid (every 4th pixel sampled). */
function coarseAlign(outer: Fingerprint, inner: Fingerprint, minFraction: number): Pose {
  // Rescaling keeps the aspect ratio, cropping changes it: fy = fx · ratio.
  const ratio = (outer.width / outer.height) / (inner.width / inner.height);
  let best: Pose = { fx: 1, fy: 1, ox: 0, oy: 0, score: -1 };
  const step = 2 / FP_SIZE;
  for (let fx = 1; fx >= minFraction - 1e-9; fx -= 0.025) {
    const fy = Math.min(1, fx * ratio);
    if (fx * ratio > 1.02 || fy < minFraction) continue;
    for (let ox = 0; ox <= 1 - fx + 1e-9; ox += step) {
      for (let oy = 0; oy <= 1 - fy + 1e-9; oy += step) {
        const score = correlation(outer.detail, inner.detail, fx, fy, ox, oy, 4);
        if (score > best.score) best = { fx, fy, ox, oy, score };
      }
    }
  }
  return best;
}

/** Full-resolution search in a small neighbourhood of a coarse pose. */
function refine(outer: Fingerprint, inner: Fingerprint, coarse: Pose): number {
  const ratio = (outer.width / outer.height) / (inner.width / inner.height);
  const d = 1 / FP_SIZE;
  let best = -1;
  for (const dfx of [-0.0125, 0, 0.0125]) {
    const fx = Math.min(1, coarse.fx + dfx);
    const fy = Math.min(1, fx * ratio);
    for (const dox of [-d, 0, d]) {
      for (const doy of [-d, 0, d]) {
        const ox = Math.min(Math.max(0, coarse.ox + dox), 1 - fx);
        const oy = Math.min(Math.max(0, coarse.oy + doy), 1 - fy);
        best = Math.max(best, correlation(outer.detail, inner.detail, fx, fy, ox, oy, 1));
      }
    }
  }
  return best;
}

/**
 * How well the two images align as copies, -1..1: the best normalized cross-correlation of either image
 * placed as a crop (or the whole) of the other. Re-encodes, resizes and brightness changes score ≈ 1.
 */
export function alignmentScore(a: Fingerprint, b: Fingerprint, options: AlignmentOptions = {}): number {
  const minFraction = options.minFraction ?? 0.8;
  // Whole on whole first: re-encodes, resizes and brightness changes end here.
  const whole = correlation(a.detail, b.detail, 1, 1, 0, 0, 1);
  if (whole >= 0.95) return whole;
  const ab = coarseAlign(a, b, minFraction);
  const ba = coarseAlign(b, a, minFraction);
  const refined = ab.score >= ba.score ? refine(a, b, ab) : refine(b, a, ba);
  return Math.max(whole, refined);
}
