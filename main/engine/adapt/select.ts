// Chooses the adapted classifier by cross-validation on the reviews: the text classifier as it is,
// Tip-Adapter caches over a grid of (α, β), and linear probes over a grid of (λ, blend w). Every
// candidate is scored on the same folds (held-out reviews with a known label). An adapted candidate
// has to get more held-out reviews right than the text classifier to replace it (with a handful of
// reviews, and with reviews chosen for being hard, a lower log-loss alone is weak evidence); among
// those the most accurate wins, ties go to the lower log-loss. The winner is refitted on all reviews.
import type { AdaptCandidateT } from '../../domain/adapt';
import { mulberry32 } from '../curate/kmeans';
import { buildCache } from './cache';
import { type Classifier, type Examples, logitsOf, subset } from './classifier';
import { blendProbe, fitProbe } from './probe';

export interface AdaptGrid { alphas: number[]; betas: number[]; lambdas: number[]; blends: number[] }

/** α in logit units (the text classifier's logits are logitScale × cosine); β sharpens the affinity. */
export const DEFAULT_GRID: AdaptGrid = { alphas: [0.5, 1, 2, 4, 8], betas: [1, 3, 6, 12, 24], lambdas: [0.00001, 0.0001, 0.001, 0.01, 0.1], blends: [0.25, 0.5, 0.75, 1] };

/** Cross-validation runs on at most this many reviews (a seeded sample); the chosen classifier is fitted on all. */
export const CV_MAX_EXAMPLES = 1500;

export interface AdaptOptions {
  grid?: AdaptGrid;
  /** At most this many folds (leave-one-out below it). */
  folds?: number;
  seed?: number;
  maxIterations?: number;
  /** Skip cross-validation and refit this candidate (the active-learning loop between full fits). */
  fixed?: AdaptCandidateT;
}

export interface Adapted {
  classifier: Classifier;
  chosen: AdaptCandidateT;
  zeroShot: AdaptCandidateT;
  candidates: AdaptCandidateT[];
  folds: number;
}

interface Tally { method: AdaptCandidateT['method']; params: Record<string, number>; correct: number; loss: number }

/** Fold of every example (labelled ones spread evenly; rejection-only ones are never held out: -1). */
export function assignFolds(e: Examples, maxFolds: number, seed: number): { fold: Int32Array; folds: number } {
  const labelled = [...e.target.keys()].filter((r) => e.target[r] >= 0);
  const folds = Math.min(maxFolds, labelled.length);
  const rnd = mulberry32(seed);
  for (let i = labelled.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [labelled[i], labelled[j]] = [labelled[j], labelled[i]];
  }
  const fold = new Int32Array(e.target.length).fill(-1);
  labelled.forEach((r, i) => (fold[r] = i % folds));
  return { fold, folds };
}

function score(t: Tally, logits: Float64Array, y: number): void {
  let max = -Infinity, arg = 0;
  for (let k = 0; k < logits.length; k++) if (logits[k] > max) { max = logits[k]; arg = k; }
  let sum = 0;
  for (const v of logits) sum += Math.exp(v - max);
  t.loss += Math.log(sum) - (logits[y] - max);
  if (arg === y) t.correct++;
}

export function candidateOf(t: Tally, evaluated: number): AdaptCandidateT {
  return { method: t.method, params: t.params, accuracy: evaluated ? t.correct / evaluated : 0, logLoss: evaluated ? t.loss / evaluated : 0 };
}

/** Fits the candidate's classifier on all of `e`. */
export function fitCandidate(base: Classifier, e: Examples, c: Pick<AdaptCandidateT, 'method' | 'params'>, maxIterations?: number): Classifier {
  if (c.method === 'cache') return buildCache(base, e, c.params.alpha, c.params.beta);
  if (c.method === 'probe') return blendProbe(base, fitProbe(base, e, { lambda: c.params.lambda, maxIterations }), c.params.w);
  return base;
}

export function adaptClassifier(base: Classifier, e: Examples, options: AdaptOptions = {}): Adapted {
  const grid = options.grid ?? DEFAULT_GRID;
  const C = base.classes;
  const d = base.dim;
  const tallies: Tally[] = [{ method: 'zero-shot', params: {}, correct: 0, loss: 0 }];
  if (!options.fixed) {
    for (const alpha of grid.alphas) for (const beta of grid.betas) tallies.push({ method: 'cache', params: { alpha, beta }, correct: 0, loss: 0 });
    for (const lambda of grid.lambdas) for (const w of grid.blends) tallies.push({ method: 'probe', params: { lambda, w }, correct: 0, loss: 0 });
  }
  const all = e;
  if (e.target.length > CV_MAX_EXAMPLES && !options.fixed) {
    const rnd = mulberry32((options.seed ?? 1) ^ 0x5eed);
    const rows = [...e.target.keys()];
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
    e = subset(e, rows.slice(0, CV_MAX_EXAMPLES).sort((a, b) => a - b));
  }
  const { fold, folds } = assignFolds(e, options.folds ?? 5, options.seed ?? 1);
  let evaluated = 0;
  const z0 = new Float64Array(C);
  const z = new Float64Array(C);
  for (let f = 0; f < (folds >= 2 && !options.fixed ? folds : 0); f++) {
    const trainRows = [...fold.keys()].filter((r) => fold[r] !== f);
    const testRows = [...fold.keys()].filter((r) => fold[r] === f);
    const train = subset(e, trainRows);
    const test = subset(e, testRows);
    evaluated += testRows.length;
    const probes = grid.lambdas.map((lambda) => fitProbe(base, train, { lambda, maxIterations: options.maxIterations }));
    const caches = tallies.filter((t) => t.method === 'cache');
    const nTrain = trainRows.length;
    const cos = new Float64Array(nTrain);
    for (let r = 0; r < testRows.length; r++) {
      const x = test.x.subarray(r * d, (r + 1) * d);
      const y = test.target[r];
      logitsOf(base, x, z0);
      score(tallies[0], z0, y);
      for (let i = 0; i < nTrain; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += train.x[i * d + j] * x[j];
        cos[i] = s;
      }
      for (const t of caches) {
        z.set(z0);
        for (let i = 0; i < nTrain; i++) {
          const a = t.params.alpha * Math.exp(-t.params.beta * (1 - cos[i]));
          if (train.target[i] >= 0) z[train.target[i]] += a;
          for (const rej of train.rejected[i]) z[rej] -= a;
        }
        score(t, z, y);
      }
      grid.lambdas.forEach((lambda, li) => {
        const probe = { ...base, weight: probes[li].weight, bias: probes[li].bias };
        const zp = logitsOf(probe, x, new Float64Array(C));
        for (const t of tallies) {
          if (t.method !== 'probe' || t.params.lambda !== lambda) continue;
          for (let k = 0; k < C; k++) z[k] = t.params.w * zp[k] + (1 - t.params.w) * z0[k];
          score(t, z, y);
        }
      });
    }
  }
  const candidates = tallies.map((t) => candidateOf(t, evaluated));
  let best = candidates[0];
  for (const c of candidates.slice(1)) {
    if (c.accuracy <= candidates[0].accuracy + 1e-12) continue;
    if (best === candidates[0] || c.accuracy > best.accuracy + 1e-12 || (Math.abs(c.accuracy - best.accuracy) <= 1e-12 && c.logLoss < best.logLoss - 1e-12)) best = c;
  }
  const chosen = options.fixed ?? best;
  return { classifier: fitCandidate(base, all, chosen, options.maxIterations), chosen, zeroShot: candidates[0], candidates, folds: options.fixed ? 0 : folds };
}
