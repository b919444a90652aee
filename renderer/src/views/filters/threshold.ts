// Threshold handle maths over a signal histogram's fine bins (see main/engine/curate/histogram.ts).
// The handle sits on a bin edge k (0..n); everything here is exact at edges, so the counts shown while
// dragging equal what the engine computes when the rule is applied.
import type { HistogramT, RuleT } from '../../../../main/api/methods/curation';

type Op = NonNullable<RuleT['op']>;

export const keepsAbove = (op: Op): boolean => op === '>' || op === '>=';

const toScale = (h: HistogramT, v: number): number => (h.scale === 'log' ? Math.log1p(Math.max(0, v)) : v);
const fromScale = (h: HistogramT, p: number): number => (h.scale === 'log' ? Math.expm1(p) : p);
const binWidth = (h: HistogramT): number => (h.hi > h.lo ? (h.hi - h.lo) / h.fine.length : 1);

/** The edge index a threshold sits on. Integer signals: the edge between kept and removed values. */
export function edgeOf(h: HistogramT, op: Op, threshold: number): number {
  const n = h.fine.length;
  let k: number;
  if (h.integer) {
    // "> t" and "<= t" split after t; ">= t" and "< t" split before t.
    const boundary = op === '>' || op === '<=' ? Math.floor(threshold) + 0.5 : Math.ceil(threshold) - 0.5;
    k = Math.round(boundary - h.lo);
  } else {
    k = Math.round((toScale(h, threshold) - h.lo) / binWidth(h));
  }
  return Math.max(0, Math.min(n, k));
}

/** The threshold an edge means, in signal units. */
export function thresholdAt(h: HistogramT, op: Op, k: number): number {
  if (h.integer) {
    const boundary = h.lo + k;
    return op === '>' || op === '<=' ? boundary - 0.5 : boundary + 0.5;
  }
  return fromScale(h, h.lo + k * binWidth(h));
}

/** Prefix sums, so a count for any edge is one subtraction while dragging. */
export function prefix(bins: readonly number[]): Int32Array {
  const out = new Int32Array(bins.length + 1);
  for (let i = 0; i < bins.length; i++) out[i + 1] = out[i] + bins[i];
  return out;
}

/** Items on the removed side of edge k. */
export function removedAt(sums: Int32Array, op: Op, k: number): number {
  const n = sums.length - 1;
  return keepsAbove(op) ? sums[k] : sums[n] - sums[k];
}

/** Display bars: fine bins grouped into about `bars` bars (integer signals keep whole values together). */
export function groupBins(fine: readonly number[], bars: number): { start: number; end: number; count: number }[] {
  const n = fine.length;
  const per = Math.max(1, Math.ceil(n / bars));
  const out: { start: number; end: number; count: number }[] = [];
  for (let s = 0; s < n; s += per) {
    let c = 0;
    for (let i = s; i < Math.min(n, s + per); i++) c += fine[i];
    out.push({ start: s, end: Math.min(n, s + per), count: c });
  }
  return out;
}

export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}
