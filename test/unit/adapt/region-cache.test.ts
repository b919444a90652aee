// Region cache: the adapted score against the formula written out independently, and the cross-validated
// choice against a brute-force nested cross-validation (every cut tried) on small random data.
import { describe, expect, it } from 'vitest';
import { adaptedRegionScore, fitRegionCache, passesCut, type CutMode, type RegionExample } from '../../../main/engine/adapt/region-cache';
import { mulberry32 } from '../../../main/engine/curate/kmeans';

const unit = (v: number[]) => { const s = Math.hypot(...v); return v.map((x) => x / s); };

/** Reference: σ(logit(s) + α Σ exp(−β(1−cos)) v) with v = ±1 same label, −γ accepted other label, 0 otherwise. */
function reference(keys: number[][], labels: string[], accepted: boolean[], a: number, b: number, g: number, label: string, x: number[], s: number): number {
  const p = Math.min(1 - 1e-4, Math.max(1e-4, s));
  let z = Math.log(p) - Math.log(1 - p);
  keys.forEach((k, i) => {
    const cos = k.reduce((acc, v, j) => acc + v * x[j], 0);
    const v = labels[i] === label ? (accepted[i] ? 1 : -1) : accepted[i] ? -g : 0;
    z += a * Math.exp(-b * (1 - cos)) * v;
  });
  return 1 / (1 + Math.exp(-z));
}

/** Brute force: the cut among all scores (and "keep all") with the most accepted − rejected kept, lowest on ties. */
function bruteCut(scores: number[], acc: boolean[]): number | null {
  if (!acc.some((a) => a) || !acc.some((a) => !a)) return null;
  let best = -Infinity, cut: number | null = null;
  for (const c of [...new Set(scores)].sort((x, y) => x - y)) {
    const net = scores.reduce((t, s, i) => t + (s >= c ? (acc[i] ? 1 : -1) : 0), 0);
    if (net > best) { best = net; cut = c; }
  }
  return cut;
}

function randomData(seed: number, n: number, dim: number) {
  const rnd = mulberry32(seed);
  const labels = ['a', 'b', 'c'];
  // Rejected boxes sit near one direction, accepted ones near another, per label: the cache has something to learn.
  const centers = labels.flatMap(() => [Array.from({ length: dim }, () => rnd() - 0.5), Array.from({ length: dim }, () => rnd() - 0.5)]);
  const examples: RegionExample[] = [];
  const keys: number[][] = [];
  for (let i = 0; i < n; i++) {
    const l = Math.floor(rnd() * 3), accepted = rnd() < 0.55;
    const c = centers[l * 2 + (accepted ? 0 : 1)];
    keys.push(unit(c.map((v) => v + (rnd() - 0.5) * 0.6)));
    examples.push({ label: labels[l], accepted, score: Math.round((0.2 + rnd() * 0.6) * 100) / 100, group: Math.floor(i / 2) });
  }
  return { examples, keys };
}

describe('region cache', () => {
  it('scores a region as the Tip-Adapter formula over reviewed regions says', () => {
    const { examples, keys } = randomData(3, 30, 6);
    const flat = Float32Array.from(keys.flat());
    const fit = fitRegionCache(examples, flat, 6);
    const rnd = mulberry32(9);
    for (const [alpha, beta, gamma] of [[1, 5, 0], [2, 10, 0.5], [0.5, 20, 1]]) {
      const cache = { ...fit.cache, alpha, beta, gamma };
      for (let t = 0; t < 20; t++) {
        const x = unit(Array.from({ length: 6 }, () => rnd() - 0.5));
        const label = ['a', 'b', 'c'][t % 3], s = rnd();
        const want = reference(keys.map((k) => Array.from(Float32Array.from(k))), examples.map((e) => e.label), examples.map((e) => e.accepted), alpha, beta, gamma, label, Array.from(Float32Array.from(x)), s);
        expect(adaptedRegionScore(cache, label, Float32Array.from(x), s)).toBeCloseTo(want, 5);
      }
    }
  });

  it('picks the candidate a brute-force nested cross-validation picks, with the same held-out counts', () => {
    const grid = { alpha: [0, 1, 3], beta: [4, 12], gamma: [0, 1] };
    const modes: CutMode[] = ['none', 'global', 'class'];
    for (const seed of [1, 2, 3, 4]) {
      const { examples, keys } = randomData(seed, 36, 5);
      const k = 3;
      const groups = [...new Set(examples.map((e) => e.group))].sort((a, b) => a - b);
      const fold = examples.map((e) => groups.indexOf(e.group) % k);
      const acc = examples.map((e) => e.accepted);
      // Scores of example i with a cache of the keys outside i's fold and outside `without`.
      const score = (i: number, a: number, b: number, g: number, without: number) => {
        const rows = examples.map((_, j) => j).filter((j) => fold[j] !== fold[i] && fold[j] !== without);
        return reference(rows.map((j) => keys[j]), rows.map((j) => examples[j].label), rows.map((j) => acc[j]), a, b, g, examples[i].label, keys[i], examples[i].score);
      };
      let best = { net: -Infinity, key: '' };
      for (const mode of modes) for (const a of grid.alpha) for (const b of a === 0 ? [grid.beta[0]] : grid.beta) for (const g of a === 0 ? [0] : grid.gamma) {
        let net = 0;
        for (let f = 0; f < k; f++) {
          const train = examples.map((_, i) => i).filter((i) => fold[i] !== f);
          const scores = examples.map((_, i) => score(i, a, b, g, f));
          const cutFor = (label: string) => {
            if (mode === 'none') return null;
            const rows = train.filter((i) => mode === 'global' || examples[i].label === label);
            return bruteCut(rows.map((i) => scores[i]), rows.map((i) => acc[i]));
          };
          for (const i of examples.map((_, i) => i).filter((i) => fold[i] === f)) {
            const cut = cutFor(examples[i].label);
            if (cut === null || scores[i] >= cut - 1e-9) net += acc[i] ? 1 : -1;
          }
        }
        if (net > best.net) best = { net, key: `${mode} ${a} ${b} ${g}` };
      }
      const fit = fitRegionCache(examples, Float32Array.from(keys.flat()), 5, { folds: k, grid, modes });
      expect(fit.heldOut.net).toBe(best.net);
      expect(`${fit.mode} ${fit.cache.alpha} ${fit.cache.beta} ${fit.cache.gamma}`).toBe(best.key);
    }
  });

  it('drops held-out rejects that look like reviewed rejects, keeping the accepted look-alikes', () => {
    const { examples, keys } = randomData(11, 200, 8);
    const train = examples.slice(0, 120), test = examples.slice(120);
    const fit = fitRegionCache(train, Float32Array.from(keys.slice(0, 120).flat()), 8);
    expect(fit.cache.alpha).toBeGreaterThan(0);
    const kept = test.filter((e, i) => passesCut(fit, e.label, adaptedRegionScore(fit.cache, e.label, Float32Array.from(keys[120 + i]), e.score)));
    const perAccept = (r: RegionExample[]) => r.filter((e) => !e.accepted).length / r.filter((e) => e.accepted).length;
    expect(perAccept(kept)).toBeLessThan(perAccept(test) / 3);
    expect(kept.filter((e) => e.accepted).length).toBeGreaterThan(0.9 * test.filter((e) => e.accepted).length);
  });
});
