// What an exact scan costs on this machine, measured rather than assumed: nanoseconds per matrix element
// (rows × dims) from the resident scans this process has run, seeded by one small probe scan. Search uses
// it to decide when an exact scan is too slow and the saved ANN index should answer instead (search.ts),
// so the switch point moves with the machine and the model's dimension, not with a fitted row count. The saved
// int8 copy's search is timed the same way, once, by the search.index job (ScanMeasure): within the budget, no
// ANN graph is needed.
import os from 'node:os';
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

/**
 * A saved int8 copy's exact search timed by the search.index job (quantized-index.ts keeps it in the copy's
 * sidecar): `ms` is what a query costs an idle machine, the median per query of its wall time or its CPU time,
 * whichever is less (on a busy machine other processes stretch the wall time; the scan runs on one thread),
 * taken for text and image probes apart, the slower kind deciding. Valid on the machine that measured it.
 */
export interface ScanMeasure { ms: number; wallMs: number; cpuMs: number; probes: number; k: number; machine: string; measuredAt: string }

let machine: string | undefined;

/** This machine as far as a scan's cost goes: its processor model and core count. */
export function thisMachine(): string {
  machine ??= `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`;
  return machine;
}

const middle = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/**
 * Times `search` on every query of each kind (a first, untimed pass warms the page cache for the rows it
 * reads, as a curator's earlier searches do), and summarizes it as a ScanMeasure.
 */
export function measureScans(kinds: Float32Array[][], k: number, search: (query: Float32Array) => void): ScanMeasure {
  const all = kinds.flat();
  for (const q of all) search(q);
  const per = kinds.filter((qs) => qs.length > 0).map((qs) => {
    const wall: number[] = [];
    const cpu: number[] = [];
    const best: number[] = [];
    for (const q of qs) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      search(q);
      const w = performance.now() - t0;
      const c = process.cpuUsage(c0);
      wall.push(w);
      cpu.push((c.user + c.system) / 1000);
      best.push(Math.min(w, cpu.at(-1)!));
    }
    return { ms: middle(best), wallMs: middle(wall), cpuMs: middle(cpu) };
  });
  const slowest = per.reduce((a, b) => (b.ms > a.ms ? b : a));
  return { ...slowest, probes: all.length, k, machine: thisMachine(), measuredAt: new Date().toISOString() };
}

/** Whether a search measured as `scan` (on this machine) answers within the budget (a zero budget: never): then no ANN graph is needed. */
export function scanWithinBudget(scan: ScanMeasure | undefined): boolean {
  return scan !== undefined && scan.machine === thisMachine() && scan.ms < exactScanBudgetMs();
}
