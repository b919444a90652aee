// What an exact scan costs on this machine, measured rather than assumed: nanoseconds per matrix element
// (rows × dims) from the resident scans this process has run, seeded by one small probe scan. Search uses
// it to decide when an exact scan is too slow and the saved ANN index should answer instead (search.ts),
// so the switch point moves with the machine and the model's dimension, not with a fitted row count.
import { topKOf } from './exact-search';

/**
 * Longest exact scan search accepts before it prefers a current ANN index: under half the 50 ms an
 * interactive query is allowed, the rest being the text tower and the page. WINNOW_EXACT_SCAN_MS overrides.
 */
export const EXACT_SCAN_BUDGET_MS = 20;

export function exactScanBudgetMs(): number {
  const v = Number(process.env.WINNOW_EXACT_SCAN_MS);
  return process.env.WINNOW_EXACT_SCAN_MS && Number.isFinite(v) && v >= 0 ? v : EXACT_SCAN_BUDGET_MS;
}

/** Scans smaller than this are dominated by the call's fixed cost and say little about the per-element rate. */
const MIN_ELEMENTS = 1 << 20;
const KEPT = 15;
const samples: number[] = [];
let probed: number | null = null;

/** Records a resident exact scan of `elements` matrix values that took `ms`. */
export function recordScan(elements: number, ms: number): void {
  if (elements < MIN_ELEMENTS || !(ms > 0)) return;
  samples.push((ms * 1e6) / elements);
  if (samples.length > KEPT) samples.shift();
}

/** Median of the recorded scans, else a probe: the best of 3 scans of a 4 MB random matrix (a few ms, once). */
export function nsPerElement(): number {
  if (samples.length) return [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)];
  if (probed === null) {
    const dim = 128;
    const data = new Float32Array(MIN_ELEMENTS);
    for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 12.9898) * 0.1;
    const query = data.slice(0, dim);
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      topKOf(data, dim, query, 64);
      best = Math.min(best, performance.now() - t0);
    }
    probed = (best * 1e6) / data.length;
  }
  return probed;
}

/** Predicted wall time of an exact scan of `rows` × `dim` from memory (ms). */
export function predictedScanMs(rows: number, dim: number): number {
  return (rows * dim * nsPerElement()) / 1e6;
}

/** Forgets the measurements (tests). */
export function resetScanCost(): void {
  samples.length = 0;
  probed = null;
}
