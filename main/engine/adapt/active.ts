// Active learning: which unreviewed items to review next so the adapted classifier improves most.
//   uncertainty  lowest top-1 probability first (least confident)
//   margin       smallest gap between the top two classes first (closest to a decision boundary)
//   diverse      from the 4× most uncertain by margin, a greedy k-center pick in embedding space, so one
//                batch does not spend its reviews on near-identical look-alikes (Sener & Savarese, 2018)
//   random       a seeded shuffle (the baseline the benchmark compares against)
import type { AdaptStrategyT } from '../../domain/adapt';
import { mulberry32 } from '../curate/kmeans';

export interface Candidates {
  confidence: ArrayLike<number>;
  margin: ArrayLike<number>;
  /** [n × dim] embeddings of the candidates (needed by 'diverse'). */
  x?: Float32Array;
  dim?: number;
}

export interface ChooseOptions {
  seed?: number;
  /** [m × dim] embeddings already reviewed ('diverse' keeps away from them too). */
  reviewed?: Float32Array;
}

/** The diverse pick draws from this many times `count` of the lowest-margin candidates. */
export const DIVERSE_POOL = 4;

function byAscending(values: ArrayLike<number>): number[] {
  return Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}

/** Indexes (into the candidates) of the next `count` items to review, most useful first. */
export function chooseForReview(strategy: AdaptStrategyT, c: Candidates, count: number, options: ChooseOptions = {}): number[] {
  const n = c.confidence.length;
  const k = Math.min(count, n);
  if (strategy === 'uncertainty') return byAscending(c.confidence).slice(0, k);
  if (strategy === 'margin') return byAscending(c.margin).slice(0, k);
  if (strategy === 'random') {
    const order = Array.from({ length: n }, (_, i) => i);
    const rnd = mulberry32(options.seed ?? 1);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order.slice(0, k);
  }
  if (!c.x || !c.dim) throw new Error('the diverse order needs the candidates\' embeddings');
  return kCenter(byAscending(c.margin).slice(0, k * DIVERSE_POOL), c.x, c.dim, k, options.reviewed);
}

/** Greedy k-center over `pool`: each pick is the pool item farthest (in cosine) from everything picked or reviewed. */
function kCenter(pool: number[], x: Float32Array, dim: number, k: number, reviewed?: Float32Array): number[] {
  const nearest = new Float64Array(pool.length).fill(-Infinity); // best cosine to the chosen set
  const cos = (a: Float32Array, ai: number, bi: number) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += a[ai * dim + j] * x[bi * dim + j];
    return s;
  };
  if (reviewed) {
    const m = reviewed.length / dim;
    pool.forEach((item, p) => {
      for (let r = 0; r < m; r++) nearest[p] = Math.max(nearest[p], cos(reviewed, r, item));
    });
  }
  const picked: number[] = [];
  const taken = new Uint8Array(pool.length);
  while (picked.length < Math.min(k, pool.length)) {
    // The first pick is the most uncertain unless reviews already cover it; then the farthest from all picks.
    let best = -1;
    for (let p = 0; p < pool.length; p++) if (!taken[p] && (best < 0 || nearest[p] < nearest[best] - 1e-9)) best = p;
    taken[best] = 1;
    const item = pool[best];
    picked.push(item);
    pool.forEach((other, p) => {
      if (!taken[p]) nearest[p] = Math.max(nearest[p], cos(x, item, other));
    });
  }
  return picked;
}
