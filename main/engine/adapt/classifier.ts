// The adapted classifier: a linear part (text classifier, linear probe, or a blend of the two) plus an
// optional Tip-Adapter cache. logits(x) = W·x + b + Σ_i exp(−β(1 − k_i·x)) · v_i, softmax over classes.
// The zero-shot classifier is the special case W = logitScale × class text embeddings, b = 0, no cache.
import type { AdaptMethodT } from '../../domain/adapt';

export interface TipCache {
  /** [n × dim] reviewed image embeddings. */
  keys: Float32Array;
  /** [n × classes]: +α at an example's label, −α at each class it was rejected as. */
  values: Float32Array;
  beta: number;
}

export interface Classifier {
  method: AdaptMethodT;
  dim: number;
  classes: number;
  /** [classes × dim] */
  weight: Float32Array;
  bias: Float32Array;
  cache: TipCache | null;
}

/** Reviewed examples: rows of `x` with a known label (`target` ≥ 0) and/or classes the curator rejected. */
export interface Examples {
  dim: number;
  /** [n × dim] unit image embeddings. */
  x: Float32Array;
  /** Class index of each example, −1 when only rejections are known. */
  target: Int32Array;
  /** Per example, class indexes the curator rejected (empty for most). */
  rejected: readonly (readonly number[])[];
}

export const exampleCount = (e: Examples): number => e.target.length;

export function subset(e: Examples, rows: readonly number[]): Examples {
  const x = new Float32Array(rows.length * e.dim);
  rows.forEach((r, i) => x.set(e.x.subarray(r * e.dim, (r + 1) * e.dim), i * e.dim));
  return { dim: e.dim, x, target: Int32Array.from(rows, (r) => e.target[r]), rejected: rows.map((r) => e.rejected[r]) };
}

export function zeroShotClassifier(textClasses: Float32Array, dim: number, logitScale: number): Classifier {
  const classes = textClasses.length / dim;
  const weight = Float32Array.from(textClasses, (v) => v * logitScale);
  return { method: 'zero-shot', dim, classes, weight, bias: new Float32Array(classes), cache: null };
}

/** Logits of one embedding row (out has `classes` entries). */
export function logitsOf(c: Classifier, row: Float32Array, out: Float64Array): Float64Array {
  const { dim, weight, bias } = c;
  for (let k = 0; k < c.classes; k++) {
    let s = bias[k];
    const base = k * dim;
    for (let j = 0; j < dim; j++) s += weight[base + j] * row[j];
    out[k] = s;
  }
  if (c.cache) {
    const { keys, values, beta } = c.cache;
    const n = keys.length / dim;
    for (let i = 0; i < n; i++) {
      let cos = 0;
      const base = i * dim;
      for (let j = 0; j < dim; j++) cos += keys[base + j] * row[j];
      const a = Math.exp(-beta * (1 - cos));
      const vb = i * c.classes;
      for (let k = 0; k < c.classes; k++) out[k] += a * values[vb + k];
    }
  }
  return out;
}

/** In-place softmax of logits. */
export function softmaxInPlace(z: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of z) max = Math.max(max, v);
  let sum = 0;
  for (let k = 0; k < z.length; k++) sum += z[k] = Math.exp(z[k] - max);
  for (let k = 0; k < z.length; k++) z[k] /= sum;
  return z;
}

/** Class probabilities of every row: [n × classes]. */
export function predictProbs(c: Classifier, x: Float32Array): Float64Array {
  const n = x.length / c.dim;
  const out = new Float64Array(n * c.classes);
  const z = new Float64Array(c.classes);
  for (let r = 0; r < n; r++) {
    logitsOf(c, x.subarray(r * c.dim, (r + 1) * c.dim), z);
    out.set(softmaxInPlace(z), r * c.classes);
  }
  return out;
}

export interface Ranked { top: number; confidence: number; margin: number }

/** Top class, its probability, and the margin to the runner-up, for one probability row. */
export function rank(probs: ArrayLike<number>, offset: number, classes: number): Ranked {
  let top = 0, p1 = -1, p2 = 0;
  for (let k = 0; k < classes; k++) {
    const p = probs[offset + k];
    if (p > p1) { p2 = p1; p1 = p; top = k; } else if (p > p2) p2 = p;
  }
  return { top, confidence: p1, margin: p1 - Math.max(0, p2) };
}
