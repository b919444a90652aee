// One simulated curator: reviews items of a pool in a given order (each review reveals the true class,
// as accepting a right proposal or relabelling a wrong one does), the classifier is re-adapted with the
// engine's code, and its accuracy is measured on a separate test set.
import { chooseForReview } from '../../main/engine/adapt/active';
import { type Classifier, type Examples, predictProbs, rank, subset } from '../../main/engine/adapt/classifier';
import { adaptClassifier } from '../../main/engine/adapt/select';
import type { AdaptCandidateT, AdaptStrategyT } from '../../main/domain/adapt';
import type { EmbeddedSet } from './data';

export interface CurvePoint { reviews: number; accuracy: number; method: string; cvAccuracy: number }

export function accuracy(c: Classifier, test: EmbeddedSet): number {
  const p = predictProbs(c, test.x);
  let ok = 0;
  for (let i = 0; i < test.n; i++) if (rank(p, i * c.classes, c.classes).top === test.y[i]) ok++;
  return ok / test.n;
}

function examplesOf(pool: EmbeddedSet, rows: number[], dim: number): Examples {
  const all: Examples = { dim, x: pool.x, target: pool.y, rejected: Array.from({ length: pool.n }, () => []) };
  return subset(all, rows);
}

/** Accuracy after each of `checkpoints` reviews, reviewing in `order` ('random' or an active strategy). */
export function simulate(base: Classifier, pool: EmbeddedSet, test: EmbeddedSet, order: AdaptStrategyT, checkpoints: number[], seed: number): CurvePoint[] {
  const dim = base.dim;
  const reviewed: number[] = [];
  const isReviewed = new Uint8Array(pool.n);
  let current: Classifier = base;
  let chosen: AdaptCandidateT | undefined;
  const out: CurvePoint[] = [];
  const randomOrder = order === 'random' ? chooseForReview('random', { confidence: new Float64Array(pool.n), margin: new Float64Array(pool.n) }, pool.n, { seed }) : [];
  const last = checkpoints[checkpoints.length - 1];
  while (reviewed.length < last) {
    const target = checkpoints.find((c) => c > reviewed.length)!;
    // Active batches: 10 reviews, then a cheap refit with the last cross-validated choice.
    const step = Math.min(target - reviewed.length, order === 'random' ? Infinity : reviewed.length < 100 ? 10 : 50);
    if (order === 'random') {
      reviewed.push(...randomOrder.slice(reviewed.length, reviewed.length + step));
    } else {
      const open = [...Array(pool.n).keys()].filter((i) => !isReviewed[i]);
      const p = predictProbs(current, subset({ dim, x: pool.x, target: pool.y, rejected: [] as number[][] }, open).x);
      const ranked = open.map((_, i) => rank(p, i * base.classes, base.classes));
      const x = subset({ dim, x: pool.x, target: pool.y, rejected: open.map(() => []) }, open).x;
      const reviewedX = examplesOf(pool, reviewed, dim).x;
      const picks = chooseForReview(order, { confidence: ranked.map((r) => r.confidence), margin: ranked.map((r) => r.margin), x, dim }, step, { seed, reviewed: reviewedX });
      reviewed.push(...picks.map((i) => open[i]));
    }
    for (const r of reviewed) isReviewed[r] = 1;
    const examples = examplesOf(pool, reviewed, dim);
    if (checkpoints.includes(reviewed.length) || !chosen) {
      const a = adaptClassifier(base, examples, { seed });
      current = a.classifier;
      chosen = a.chosen;
      if (checkpoints.includes(reviewed.length)) out.push({ reviews: reviewed.length, accuracy: accuracy(current, test), method: a.chosen.method, cvAccuracy: a.chosen.accuracy });
    } else {
      current = adaptClassifier(base, examples, { seed, fixed: chosen }).classifier;
    }
  }
  return out;
}
