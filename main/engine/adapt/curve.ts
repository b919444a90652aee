// Estimated accuracy as reviews accumulate: the adaptation's cross-validated accuracy (and the zero-shot
// classifier's on the same reviews) on the first 10, 20, 50, 100, … reviews in the order the curator made
// them, so the chart shows what each batch of reviews bought. Each prefix is a fit with its own
// cross-validated choice, over a coarser grid than the real fit (2 cache settings × 2, 2 probe strengths
// × 2 blends) so the whole curve costs less than the fit itself; the last point is the real fit.
import type { AdaptCurvePointT } from '../../domain/adapt';
import { type Classifier, type Examples, subset } from './classifier';
import { adaptClassifier, type AdaptGrid } from './select';

export const CURVE_GRID: AdaptGrid = { alphas: [1, 4], betas: [3, 12], lambdas: [0.0001, 0.01], blends: [0.5, 1] };

/** Review counts charted for n reviews: 10, 20, 50, 100, 200, 500, … below n, then n itself. */
export function curvePrefixes(n: number): number[] {
  const out: number[] = [];
  for (let decade = 10; decade < n; decade *= 10) for (const m of [1, 2, 5]) if (m * decade < n) out.push(m * decade);
  if (n > 0) out.push(n);
  return out;
}

/** The curve over review prefixes; `last` is the fit on all reviews (already made by the caller). */
export function accuracyCurve(base: Classifier, examples: Examples, reviewOrder: readonly number[], last: AdaptCurvePointT, seed: number): AdaptCurvePointT[] {
  const n = reviewOrder.length;
  return curvePrefixes(n).map((reviews) => {
    if (reviews === n) return last;
    const prefix = subset(examples, reviewOrder.slice(0, reviews));
    // Rejection-only reviews train but are not scored: a prefix needs labelled reviews to be measured.
    if (!prefix.target.some((t) => t >= 0)) return null;
    const fit = adaptClassifier(base, prefix, { seed, grid: CURVE_GRID });
    return { reviews, accuracy: fit.chosen.accuracy, zeroShot: fit.zeroShot.accuracy, method: fit.chosen.method, folds: fit.folds };
  }).filter((p): p is AdaptCurvePointT => p !== null);
}
