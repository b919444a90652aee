// Region-text scoring adapted from reviews (Tip-Adapter over regions): the reviewed proposals' region
// embeddings are the keys of a cache whose values are +1 (accepted) or −1 (rejected) for the proposal's
// label. A new proposal's detector score s becomes
//   σ( logit(s) + α · Σ_i exp(−β(1 − cos(region, key_i))) · v_i )
// so a region that looks like boxes the curator rejected as "red circle" loses score for "red circle",
// one like accepted boxes gains. With γ > 0 an accepted box of another label also counts, as −γ: a region
// that looks like a confirmed "blue square" is less likely a "red circle" (the one-hot values of the
// image-level cache, seen from one class). Then a cut: none, one for all classes, or one per class.
// α, β, γ and the kind of cut are chosen by cross-validation over reviewed items (an item's boxes stay in
// one fold; cuts are learnt on the training folds only): the pick keeps the most accepted boxes net of
// rejected ones on the held-out folds. α = 0 (cuts alone) is a candidate, so the cache is used only where
// it measurably helps.
import { bestCut, rejectsPerAccept, type ScoredReview } from './regions';

export interface RegionExample {
  label: string;
  /** The detector's own score of the proposal. */
  score: number;
  accepted: boolean;
  /** The item the box is in (cross-validation keeps an item's boxes together). */
  group: number;
}

export interface RegionCache {
  dim: number;
  alpha: number;
  beta: number;
  /** Weight of accepted boxes of other labels (as negatives). */
  gamma: number;
  labels: string[];
  /** [n × dim] unit region embeddings of the reviewed proposals. */
  keys: Float32Array;
  /** +1 accepted, −1 rejected. */
  values: Float32Array;
}

export interface RegionFit {
  cache: RegionCache;
  /** Which cut the cross-validation chose. */
  mode: CutMode;
  /** Minimum adapted score per class, or under '*' for all classes (null: too few reviews of both kinds for a cut). */
  cuts: Record<string, number | null>;
  folds: number;
  /** Held-out rejected per accepted among the reviews: as proposed, with per-class cuts alone, with the chosen cache + cut. */
  rejectsPerAccept: { before: number | null; cutsOnly: number | null; adapted: number | null };
  /** Held-out counts of the chosen candidate over all folds (net = accepted − rejected kept). */
  heldOut: { net: number; accepted: number; rejected: number };
  /** Held-out share of accepted boxes kept: with per-class cuts alone and with the chosen cache + cut. */
  recall: { cutsOnly: number; adapted: number };
}

export const REGION_GRID = { alpha: [0, 0.5, 1, 2, 4, 8], beta: [2, 5, 10, 20, 40], gamma: [0, 0.5, 1] };

const EPS = 1e-4;
const logit = (p: number) => {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[ai + j] * b[bi + j];
  return s;
}

/** The adapted score of one region (`emb`: its unit embedding) proposed as `label` with detector score `score`. */
export function adaptedRegionScore(cache: RegionCache, label: string, emb: Float32Array, score: number): number {
  let z = logit(score);
  if (cache.alpha === 0) return sigmoid(z);
  for (let i = 0; i < cache.labels.length; i++) {
    const v = valueFor(cache.labels[i] === label, cache.values[i] > 0, cache.gamma);
    if (v !== 0) z += cache.alpha * Math.exp(-cache.beta * (1 - dot(cache.keys, i * cache.dim, emb, 0, cache.dim))) * v;
  }
  return sigmoid(z);
}

/** What a reviewed box says about a proposal: ±1 when it has the proposal's label, −γ when it is an accepted box of another. */
export function valueFor(sameLabel: boolean, accepted: boolean, gamma: number): number {
  if (sameLabel) return accepted ? 1 : -1;
  return accepted ? -gamma : 0;
}

/** Fold of each example: items (groups) in ascending id order dealt round-robin into `k` folds. */
export function regionFolds(examples: readonly RegionExample[], k: number): Int32Array {
  const groups = [...new Set(examples.map((e) => e.group))].sort((a, b) => a - b);
  const foldOf = new Map(groups.map((g, i) => [g, i % k]));
  return Int32Array.from(examples, (e) => foldOf.get(e.group)!);
}

export type CutMode = 'none' | 'global' | 'class';
const GLOBAL = '*';

function learnCuts(examples: readonly RegionExample[], scores: ArrayLike<number>, rows: readonly number[], mode: CutMode): Record<string, number | null> {
  if (mode === 'none') return {};
  const byLabel = new Map<string, ScoredReview[]>();
  for (const i of rows) {
    const key = mode === 'global' ? GLOBAL : examples[i].label;
    byLabel.set(key, [...(byLabel.get(key) ?? []), { score: scores[i], accepted: examples[i].accepted }]);
  }
  return Object.fromEntries([...byLabel].map(([label, reviews]) => [label, bestCut(reviews)]));
}

function cutOf(cuts: Record<string, number | null>, label: string): number | null {
  return cuts[label] ?? cuts[GLOBAL] ?? null;
}

/** Fits the region cache (α, β, γ) and its cuts from reviewed proposals and their region embeddings ([n × dim]). */
export function fitRegionCache(examples: readonly RegionExample[], keys: Float32Array, dim: number, o: { folds?: number; grid?: typeof REGION_GRID; modes?: CutMode[] } = {}): RegionFit {
  const n = examples.length;
  const grid = o.grid ?? REGION_GRID;
  const modes = o.modes ?? ['none', 'global', 'class'];
  const groups = new Set(examples.map((e) => e.group)).size;
  const k = Math.min(o.folds ?? 5, groups);
  const fold = regionFolds(examples, Math.max(1, k));
  // Pairs that can carry a value (same label, or an accepted key) in different folds, with their cosine.
  const pairs: { j: number; cos: number; same: boolean }[][] = examples.map(() => []);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const same = examples[i].label === examples[j].label;
      if (fold[i] !== fold[j] && (same || examples[j].accepted)) pairs[i].push({ j, cos: dot(keys, i * dim, keys, j * dim, dim), same });
    }
  }
  const base = examples.map((e) => logit(e.score));
  // Per β, each example's cache sums split by the fold of the key (same-label values; other labels' accepted
  // keys): a score without fold f is then the total minus f's share, for any α and γ.
  const sums = new Map<number, { same: Float64Array; other: Float64Array }>();
  const sumsFor = (beta: number) => {
    let s = sums.get(beta);
    if (!s) {
      s = { same: new Float64Array(n * (k + 1)), other: new Float64Array(n * (k + 1)) };
      for (let i = 0; i < n; i++) {
        for (const { j, cos, same } of pairs[i]) {
          const w = Math.exp(-beta * (1 - cos));
          const into = same ? s.same : s.other;
          const v = same ? (examples[j].accepted ? w : -w) : w;
          into[i * (k + 1) + k] += v;
          into[i * (k + 1) + fold[j]] += v;
        }
      }
      sums.set(beta, s);
    }
    return s;
  };
  /** Scores with a cache of the examples in neither example i's fold nor fold `without` (−1: only i's fold left out). */
  const scoresWithout = (alpha: number, beta: number, gamma: number, without: number) => {
    if (alpha === 0) return Float64Array.from(base, sigmoid);
    const { same, other } = sumsFor(beta);
    return Float64Array.from(examples, (_, i) => {
      const t = i * (k + 1);
      const sameSum = same[t + k] - (without >= 0 ? same[t + without] : 0);
      const otherSum = other[t + k] - (without >= 0 ? other[t + without] : 0);
      return sigmoid(base[i] + alpha * (sameSum - gamma * otherSum));
    });
  };
  const rowsIn = (f: number) => examples.flatMap((_, i) => (fold[i] === f ? [i] : []));
  const rowsOut = (f: number) => examples.flatMap((_, i) => (fold[i] !== f ? [i] : []));
  /** Held-out net kept (accepted − rejected) and accepted kept: cuts from the training folds' own out-of-fold scores. */
  const evaluate = (alpha: number, beta: number, gamma: number, mode: CutMode) => {
    let net = 0, accepted = 0, rejected = 0;
    for (let f = 0; f < k; f++) {
      const scores = scoresWithout(alpha, beta, gamma, f);
      const cuts = learnCuts(examples, scores, rowsOut(f), mode);
      for (const i of rowsIn(f)) {
        const cut = cutOf(cuts, examples[i].label);
        if (cut !== null && scores[i] < cut) continue;
        if (examples[i].accepted) { net++; accepted++; } else { net--; rejected++; }
      }
    }
    return { net, accepted, rejected };
  };
  const totalAccepted = examples.filter((e) => e.accepted).length;
  const perAccept = (r: { accepted: number; rejected: number }) => (r.accepted ? r.rejected / r.accepted : null);
  let best = { alpha: 0, beta: grid.beta[0], gamma: 0, mode: 'none' as CutMode, r: { net: n ? 2 * totalAccepted - n : 0, accepted: totalAccepted, rejected: n - totalAccepted } };
  let cutsOnly = best.r;
  if (k >= 2) {
    for (const mode of modes) {
      for (const alpha of grid.alpha) {
        for (const beta of alpha === 0 ? [grid.beta[0]] : grid.beta) {
          for (const gamma of alpha === 0 ? [0] : grid.gamma) {
            const r = evaluate(alpha, beta, gamma, mode);
            if (alpha === 0 && mode === 'class') cutsOnly = r;
            if (r.net > best.r.net) best = { alpha, beta, gamma, mode, r };
          }
        }
      }
    }
  }
  const finalScores = scoresWithout(best.alpha, best.beta, best.gamma, -1);
  const all = examples.map((_, i) => i);
  return {
    cache: { dim, alpha: best.alpha, beta: best.beta, gamma: best.gamma, labels: examples.map((e) => e.label), keys: Float32Array.from(keys.subarray(0, n * dim)), values: Float32Array.from(examples, (e) => (e.accepted ? 1 : -1)) },
    mode: best.mode, cuts: learnCuts(examples, finalScores, all, best.mode), folds: k >= 2 ? k : 0,
    rejectsPerAccept: { before: rejectsPerAccept(examples, null), cutsOnly: perAccept(cutsOnly), adapted: perAccept(best.r) },
    heldOut: best.r,
    recall: { cutsOnly: totalAccepted ? cutsOnly.accepted / totalAccepted : 0, adapted: totalAccepted ? best.r.accepted / totalAccepted : 0 },
  };
}

/** Whether a proposal passes: its adapted score at or above its cut (the class's, else the global one; none: it passes). */
export function passesCut(fit: Pick<RegionFit, 'cuts'>, label: string, adapted: number): boolean {
  const cut = cutOf(fit.cuts, label);
  return cut === null || adapted >= cut;
}
