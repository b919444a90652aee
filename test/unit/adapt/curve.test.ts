// The accuracy curve over review prefixes: which review counts are charted, that each prefix is the first
// reviews in review order (the zero-shot classifier's estimate on a prefix is plain accuracy on exactly
// those items, computed here by brute force), and that adaptation's estimate climbs when the text
// classifier is wrong in a way reviews can fix.
import { describe, expect, it } from 'vitest';
import type { Examples } from '../../../main/engine/adapt/classifier';
import { accuracyCurve, curvePrefixes } from '../../../main/engine/adapt/curve';
import { zeroShotClassifier } from '../../../main/engine/adapt/classifier';
import { mulberry32 } from '../../../main/engine/curate/kmeans';

const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };

function data(seed: number, n: number, classes: number, dim: number) {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  const centers = Array.from({ length: classes }, () => unit(Array.from({ length: dim }, gauss)));
  const x: number[] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rnd() * classes);
    x.push(...unit(centers[k].map((c) => c + 0.5 * gauss() / Math.sqrt(dim) * 3)));
    y.push(k);
  }
  // The "text" classifier has classes 0 and 1 swapped: zero-shot is wrong on them, reviews can fix it.
  const text = [centers[1], centers[0], ...centers.slice(2)].flat();
  return { x: Float32Array.from(x), y: Int32Array.from(y), text: Float32Array.from(text) };
}

describe('accuracy over review prefixes', () => {
  it('charts 10, 20, 50, 100, … below the number of reviews, then all of them', () => {
    expect(curvePrefixes(0)).toEqual([]);
    expect(curvePrefixes(7)).toEqual([7]);
    expect(curvePrefixes(10)).toEqual([10]);
    expect(curvePrefixes(64)).toEqual([10, 20, 50, 64]);
    expect(curvePrefixes(1200)).toEqual([10, 20, 50, 100, 200, 500, 1000, 1200]);
  });

  it('measures each prefix on the first reviews in review order, and adaptation overtakes zero-shot', () => {
    const dim = 8, C = 4, n = 120;
    const { x, y, text } = data(5, n, C, dim);
    const base = zeroShotClassifier(text, dim, 10);
    const e: Examples = { dim, x, target: y, rejected: Array.from(y, () => []) };
    // A review order that is not the storage order.
    const rnd = mulberry32(77);
    const order = [...Array(n).keys()].sort(() => rnd() - 0.5);
    const last = { reviews: n, accuracy: 0.5, zeroShot: 0.5, method: 'zero-shot' as const, folds: 5 };
    const curve = accuracyCurve(base, e, order, last, 1);
    expect(curve.map((p) => p.reviews)).toEqual([10, 20, 50, 100, 120]);
    expect(curve[curve.length - 1]).toBe(last);
    for (const p of curve.slice(0, -1)) {
      // Brute force: the swapped text classifier's plain accuracy on exactly the first p.reviews reviewed items.
      let ok = 0;
      for (const r of order.slice(0, p.reviews)) {
        let best = -1, top = -1;
        for (let k = 0; k < C; k++) {
          let s = 0;
          for (let j = 0; j < dim; j++) s += text[k * dim + j] * x[r * dim + j];
          if (s > best) { best = s; top = k; }
        }
        if (top === y[r]) ok++;
      }
      expect(p.zeroShot).toBeCloseTo(ok / p.reviews, 10);
    }
    const at100 = curve.find((p) => p.reviews === 100)!;
    expect(at100.accuracy).toBeGreaterThan(at100.zeroShot + 0.2);
  });
});
