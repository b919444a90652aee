// The Filters view's handle maths: counts at an edge equal a direct count of the values.
import { describe, expect, it } from 'vitest';
import type { HistogramT } from '../../../main/api/methods/curation';
import { edgeOf, prefix, removedAt, thresholdAt } from '../../../renderer/src/views/filters/threshold';

const values = [3, 3, 4, 5, 5, 5, 7, 9, 12];
const integerHist: HistogramT = (() => {
  const min = 3;
  const max = 12;
  const fine = new Array(max - min + 1).fill(0);
  for (const v of values) fine[v - min]++;
  return { name: 'x', count: values.length, min, max, scale: 'linear', integer: true, lo: min - 0.5, hi: max + 0.5, fine, fineKept: null, keptByOthers: null, total: values.length };
})();

const removedDirect = (op: '<' | '<=' | '>' | '>=', t: number) =>
  values.filter((v) => !(op === '<' ? v < t : op === '<=' ? v <= t : op === '>' ? v > t : v >= t)).length;

describe('threshold handle', () => {
  it('integer signals: exact counts for every op and threshold, edges round-trip', () => {
    const sums = prefix(integerHist.fine);
    for (const op of ['<', '<=', '>', '>='] as const) {
      for (let t = 2; t <= 13; t++) {
        const k = edgeOf(integerHist, op, t);
        expect(removedAt(sums, op, k)).toBe(removedDirect(op, t));
        if (t >= 3 && t <= 12) expect(edgeOf(integerHist, op, thresholdAt(integerHist, op, k))).toBe(k);
      }
    }
  });

  it('continuous signals: exact at bin edges', () => {
    const vals = [0.05, 0.1, 0.33, 0.5, 0.52, 0.9, 1];
    const bins = 10;
    const fine = new Array(bins).fill(0);
    const hi = 1 + 1e-6; // as the engine builds it: the maximum inside the last bin
    for (const v of vals) fine[Math.floor((v * bins) / hi)]++;
    const h: HistogramT = { name: 'y', count: vals.length, min: 0.05, max: 1, scale: 'linear', integer: false, lo: 0, hi, fine, fineKept: null, keptByOthers: null, total: vals.length };
    const sums = prefix(fine);
    for (let k = 0; k <= bins; k++) {
      const t = thresholdAt(h, '>=', k);
      expect(removedAt(sums, '>=', k)).toBe(vals.filter((v) => v < t).length);
      expect(removedAt(sums, '<', k)).toBe(vals.filter((v) => v >= t).length);
    }
  });
});
