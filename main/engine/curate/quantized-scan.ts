// Exact top-k over a resident matrix at a quarter of the memory traffic. An exact scan of a float32 matrix is
// bound by memory bandwidth (100k × 512 is 205 MB per query), so a resident matrix also keeps an int8 copy
// (a step per dimension), which usearch scans with integer SIMD dot products (exact integers). The int8 score
// of a row differs from its float32 score by at most a bound known before the scan (below), so every row whose
// int8 score is more than that bound under the k-th best float32 score of the int8 candidates cannot be in the
// float32 top k: the candidates alone are re-scored from the float32 matrix, by the same kernel as the full
// scan, and the answer is the float32 top k, not an approximation. When the bound does not separate them (many
// near-ties), the pool grows, and past a quarter of the rows the float32 matrix is scanned whole.
//
// The bound. Row x = step ∘ c + e (c the int8 codes, |e_j| ≤ step_j / 2); query y, z = step ∘ y = t·p + f (p the
// query's int8 codes, one scale t). Then x·y = t (c·p) + c·f + e·y, so |x·y − t (c·p)| ≤ ‖c‖·‖f‖ + ‖e‖·‖y‖
// ≤ maxCodeNorm·‖f‖ + maxErrNorm·‖y‖, both maxima over all rows, taken when the copy is made. The float32 scan
// itself rounds: its score is within dim·2⁻²⁴·‖x‖·‖y‖ of x·y, whatever the summation order.
import usearch from 'usearch';
import { sortTop, topKOf, type TopK } from './exact-search';

export interface Quantized {
  dim: number;
  rows: number;
  /**
   * Row-major int8 codes, code = round(x / step), in [−levels, levels], in parts of `partRows` rows (the last may
   * have fewer), each its own buffer: usearch's exactSearch reads a typed array's buffer from its start.
   */
  parts: Int8Array[];
  partRows: number;
  /** Per-dimension step: the dimension's largest |x| over levels (0 for a dimension that is 0 in every row). */
  step: Float64Array;
  levels: number;
  /** Largest ‖code row‖₂, ‖x − step ∘ code‖₂ and ‖x‖₂ over the rows. */
  maxCodeNorm: number;
  maxErrNorm: number;
  maxRowNorm: number;
}

/** Below this many matrix values a float32 scan takes well under a millisecond: no copy is made. */
export const MIN_QUANTIZED_ELEMENTS = 1 << 20;
/** Candidates the int8 scan returns at first; a query whose bound does not separate them asks for POOL_GROWTH times more. */
export const FIRST_POOL = 256;
const POOL_GROWTH = 8;
/** Candidates re-scored past k at first; a prefix that does not prove the top k doubles, up to the whole pool. */
const RESCORE_MARGIN = 16;
/**
 * Threads of the int8 scan. usearch splits the rows evenly between threads it starts per call, so on a busy
 * machine the call waits for the thread that got the least CPU: on this 2-core machine under load one thread
 * was as fast at best and steadier (100k × 512: best 2.4 vs 2.6 ms, median 2.9 vs 8.0 ms), and cost less CPU.
 */
const SCAN_THREADS = 1;

/**
 * Int8 codes per dimension. usearch returns an int8 dot product as the float32 1 − dot, exact while
 * |dot| ≤ levels² · dim stays under 2²⁴, so wide embeddings get fewer levels than 127.
 */
export function levelsFor(dim: number): number {
  return Math.min(127, Math.floor(Math.sqrt((2 ** 24 - 2) / dim)));
}

/** The int8 copy of `data` (`dim` wide); null when a value is not finite (the float32 scan handles those rows). */
export function quantize(data: Float32Array, dim: number): Quantized | null {
  const steps = quantizeSteps(data, dim);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * Rows per part of the codes. usearch's exact search allocates 16 bytes per row scanned per call (a key and a distance,
 * then their transpose) and the allocator keeps that buffer: one call over 1M rows kept 15 MiB, one over a part of
 * 2¹⁸ rows keeps 4 MiB, at about the same scan cost (4 calls at 1M; 16 cost ~4 ms more). WINNOW_I8_PART_ROWS sets it
 * (tests cross part boundaries with small parts).
 */
export function partRowsFor(): number {
  const n = Math.floor(Number(process.env.WINNOW_I8_PART_ROWS));
  return n >= 1 ? n : 2 ** 18;
}

/** Empty parts for `rows` × `dim` codes, `partRows` rows each. */
export function codeParts(rows: number, dim: number, partRows: number): Int8Array[] {
  return Array.from({ length: Math.ceil(rows / partRows) }, (_, p) => new Int8Array(Math.min(partRows, rows - p * partRows) * dim));
}

/** The codes of `row`. */
export function rowCodes(qz: Pick<Quantized, 'parts' | 'partRows' | 'dim'>, row: number): Int8Array {
  const at = (row % qz.partRows) * qz.dim;
  return qz.parts[Math.floor(row / qz.partRows)].subarray(at, at + qz.dim);
}

/** Matrix values handled per step of a background build: a few milliseconds of this thread each. */
const SLICE_ELEMENTS = 1 << 20;

/** Widens `largest[j]` to the largest |x_j| over the rows of `data` (the first pass of a copy). */
export function widenLargest(data: Float32Array, dim: number, largest: Float64Array): void {
  for (let o = 0; o < data.length; o += dim) {
    for (let j = 0; j < dim; j++) {
      const a = Math.abs(data[o + j]);
      if (a > largest[j]) largest[j] = a;
    }
  }
}

/** The code of `x` under the step 1 / `inv`, rounded half up: x·inv lies in [−levels, levels], so the shifted value is positive and truncation floors it. */
function codeOf(x: number, inv: number, levels: number): number {
  return ((x * inv + levels + 0.5) | 0) - levels;
}

/**
 * The second pass of a copy, in row blocks: codes under the steps taken from every dimension's largest |x|,
 * and the largest norms the bound needs. The copy in memory and the saved one (quantized-index.ts) share it.
 */
export class Encoder {
  readonly levels: number;
  readonly step: Float64Array;
  private readonly inv: Float64Array;
  private maxCode = 0;
  private maxErr = 0;
  private maxRow = 0;
  /** False once a row had a value that is not finite: such a matrix gets no copy. */
  finite = true;

  constructor(readonly dim: number, largest: Float64Array) {
    this.levels = levelsFor(dim);
    this.step = new Float64Array(dim);
    this.inv = new Float64Array(dim);
    for (let j = 0; j < dim; j++) {
      this.step[j] = largest[j] / this.levels;
      this.inv[j] = largest[j] > 0 ? this.levels / largest[j] : 0;
    }
  }

  /** Codes of the rows of `data` into `out` (as long as `data`). */
  encode(data: Float32Array, out: Int8Array): void {
    const { dim, levels, step, inv } = this;
    for (let o = 0; o < data.length; o += dim) {
      let c2 = 0, e2 = 0, x2 = 0;
      for (let j = 0; j < dim; j++) {
        const x = data[o + j];
        const c = codeOf(x, inv[j], levels);
        out[o + j] = c;
        const e = x - c * step[j];
        c2 += c * c;
        e2 += e * e;
        x2 += x * x;
      }
      if (!(x2 < Infinity)) this.finite = false; // NaN or ±Infinity in the row
      if (c2 > this.maxCode) this.maxCode = c2;
      if (e2 > this.maxErr) this.maxErr = e2;
      if (x2 > this.maxRow) this.maxRow = x2;
    }
  }

  /** Whether `codes` (one row's) are this encoder's codes of the row `x` (a saved copy checked against the rows it re-scores). */
  matches(x: Float32Array, codes: Int8Array): boolean {
    const { dim, levels, inv } = this;
    for (let j = 0; j < dim; j++) if (codeOf(x[j], inv[j], levels) !== codes[j]) return false;
    return true;
  }

  /** The bound's terms, once every row is encoded. */
  bounds(): Pick<Quantized, 'step' | 'levels' | 'maxCodeNorm' | 'maxErrNorm' | 'maxRowNorm'> {
    return { step: this.step, levels: this.levels, maxCodeNorm: Math.sqrt(this.maxCode), maxErrNorm: Math.sqrt(this.maxErr), maxRowNorm: Math.sqrt(this.maxRow) };
  }
}

/** `quantize` in steps of about SLICE_ELEMENTS values, so that it can run between other work on this thread. */
function* quantizeSteps(data: Float32Array, dim: number): Generator<void, Quantized | null> {
  const rows = data.length / dim;
  const slice = Math.max(1, Math.floor(SLICE_ELEMENTS / dim)) * dim;
  const largest = new Float64Array(dim);
  for (let at = 0; at < data.length; at += 4 * slice) {
    widenLargest(data.subarray(at, Math.min(data.length, at + 4 * slice)), dim, largest);
    yield;
  }
  const enc = new Encoder(dim, largest);
  const partRows = partRowsFor();
  const parts = codeParts(rows, dim, partRows);
  for (const [p, codes] of parts.entries()) {
    const first = p * partRows * dim;
    for (let at = 0; at < codes.length; at += slice) {
      const end = Math.min(codes.length, at + slice);
      enc.encode(data.subarray(first + at, first + end), codes.subarray(at, end));
      if (!enc.finite) return null;
      yield;
    }
  }
  return { dim, rows, parts, partRows, ...enc.bounds() };
}

/** Finished copies (null: the matrix has non-finite values), and builds under way, per resident matrix. */
const copies = new WeakMap<Float32Array, Quantized | null>();
const building = new WeakMap<Float32Array, Promise<Quantized | null>>();

/**
 * The int8 copy kept beside a resident matrix, dropped with it; null while it is being made or when there is
 * none (small or non-finite matrices): scan float32 then. The first call starts making it in steps of a few
 * ms between this thread's other work (~0.2 s of CPU at 100k × 512 would otherwise stall one search).
 */
export function quantizedFor(data: Float32Array, dim: number): Quantized | null {
  if (data.length < MIN_QUANTIZED_ELEMENTS) return null;
  const done = copies.get(data);
  if (done !== undefined) return done;
  void whenQuantized(data, dim);
  return null;
}

/** Whether the int8 copy of `data` is being made (scans meanwhile are float32 and say little about later ones). */
export function quantizing(data: Float32Array): boolean {
  return building.has(data);
}

/** Resolves with the int8 copy of `data` once made (starting it if need be); null for a matrix that gets none. */
export function whenQuantized(data: Float32Array, dim: number): Promise<Quantized | null> {
  if (data.length < MIN_QUANTIZED_ELEMENTS) return Promise.resolve(null);
  const done = copies.get(data);
  if (done !== undefined) return Promise.resolve(done);
  let pending = building.get(data);
  if (!pending) {
    const steps = quantizeSteps(data, dim);
    pending = new Promise((resolve) => {
      const next = () => {
        const step = steps.next();
        if (!step.done) {
          setImmediate(next);
          return;
        }
        copies.set(data, step.value);
        building.delete(data);
        resolve(step.value);
      };
      setImmediate(next);
    });
    building.set(data, pending);
  }
  return pending;
}

export interface QuantizedTopK extends TopK {
  /** Rows re-scored from the float32 matrix, or every row when the float32 matrix was scanned whole. */
  rescored: number;
  /** The int8 bound separated the top k from every row left out. */
  bounded: boolean;
}

/** Queries this process answered through an int8 copy: bounded by it, or by a whole float32 scan after it (benchmarks, tests). */
export const quantizedScans = { bounded: 0, full: 0 };

/** The float32 top k of `data` by dot product with `query`, the int8 copy `qz` choosing which rows to score. */
export function quantizedTopK(data: Float32Array, qz: Quantized, query: Float32Array, k: number): QuantizedTopK {
  const { dim } = qz;
  return boundedTopK(qz, query, k, (row) => data.subarray(row * dim, (row + 1) * dim), () => topKOf(data, dim, query, Math.min(k, qz.rows)));
}

/**
 * The float32 top k of the rows `rowAt` reads (the matrix in memory, or rows read one by one from its file),
 * the int8 copy `qz` choosing which rows to score; `full` scans every row in float32 when the bound cannot
 * separate a pool of a quarter of the rows. `rowAt` may throw (a copy whose codes do not match the rows).
 */
export function boundedTopK(qz: Quantized, query: Float32Array, k: number, rowAt: (row: number) => Float32Array, full: () => TopK): QuantizedTopK {
  const { dim, rows } = qz;
  const kk = Math.min(k, rows);
  const scanAll = (): QuantizedTopK => {
    quantizedScans.full++;
    return { ...full(), rescored: rows, bounded: false };
  };
  const qq = queryCodes(qz, query);
  if (!qq || kk <= 0) return scanAll();
  const { codes, scale, bound } = qq;
  for (let pool = Math.min(rows, Math.max(FIRST_POOL, POOL_GROWTH * kk)); pool * 4 <= rows; pool *= POOL_GROWTH) {
    const m = int8Pool(qz, codes, pool);
    const int8At = (i: number) => scale * (1 - m.distances[i]);
    // The pool comes best first by int8 score, and only a prefix of it is re-scored (for a saved copy each row is
    // a read from the file): once the best int8 score left out of the prefix, plus the bound, is under the prefix's
    // k-th float32 score, no row past it (in the pool or not: those score at most the pool's lowest) can enter the
    // top k. The first prefix runs to where int8 scores fall the bound under the int8 k-th (the float32 k-th is
    // close to it), and a little past; one that does not prove the top k grows by a quarter, reading only new rows.
    const gathered = new Gathered(rowAt, dim, pool, m.rows);
    let take = kk;
    while (take < pool && int8At(take) + bound >= int8At(kk - 1)) take++;
    for (take = Math.min(pool, take + (take >> 3) + 8); ; take = Math.min(pool, take + (take >> 2) + 8)) {
      const top = gathered.topOf(take, query, kk);
      if (int8At(take < pool ? take : pool - 1) + bound < top.scores[kk - 1]) {
        quantizedScans.bounded++;
        return { ...top, rescored: take, bounded: true };
      }
      if (take === pool) break;
    }
  }
  return scanAll();
}

/**
 * The `pool` rows of best int8 score (least usearch distance, 1 − dot), best first: each part's best `pool` (all of a
 * smaller part), merged. A row left out scores at most its part's pool-th, which at least `pool` rows of the merged
 * lists reach: at most the merged pool's lowest, as for one scan of every row.
 */
function int8Pool(qz: Quantized, query: Int8Array, pool: number): { rows: Int32Array; distances: Float32Array } {
  const { dim, partRows } = qz;
  const lists = qz.parts.map((part, p) => {
    const m = usearch.exactSearch(part, query, dim, Math.min(pool, part.length / dim), usearch.MetricKind.IP, SCAN_THREADS) as { keys: BigUint64Array; distances: Float32Array };
    return { first: p * partRows, keys: m.keys, distances: m.distances };
  });
  if (lists.length === 1) return { rows: Int32Array.from(lists[0].keys, Number), distances: lists[0].distances };
  const rows = new Int32Array(pool);
  const distances = new Float32Array(pool);
  const next = new Array<number>(lists.length).fill(0);
  for (let i = 0; i < pool; i++) {
    let best = -1;
    for (let p = 0; p < lists.length; p++) {
      if (next[p] < lists[p].distances.length && (best < 0 || lists[p].distances[next[p]] < lists[best].distances[next[best]])) best = p;
    }
    const list = lists[best];
    rows[i] = list.first + Number(list.keys[next[best]]);
    distances[i] = list.distances[next[best]++];
  }
  return { rows, distances };
}

/** The query's int8 codes under the copy's steps, their scale, and the bound on |float32 score − int8 score|. */
function queryCodes(qz: Quantized, query: Float32Array): { codes: Int8Array; scale: number; bound: number } | null {
  const { dim, step, levels } = qz;
  const z = new Float64Array(dim);
  let zmax = 0, y2 = 0;
  for (let j = 0; j < dim; j++) {
    z[j] = query[j] * step[j];
    zmax = Math.max(zmax, Math.abs(z[j]));
    y2 += query[j] * query[j];
  }
  if (!(zmax > 0 && y2 < Infinity)) return null;
  const scale = zmax / levels;
  const codes = new Int8Array(dim);
  let f2 = 0;
  for (let j = 0; j < dim; j++) {
    codes[j] = Math.round(z[j] / scale);
    f2 += (z[j] - scale * codes[j]) ** 2;
  }
  const yNorm = Math.sqrt(y2);
  // The float32 scan's own rounding (any summation order, FMA or not), and 2⁻²⁰ for the conversions of
  // scores to 1 − dot and back and the float64 arithmetic of this bound.
  const rounding = 1.01 * dim * 2 ** -24 * qz.maxRowNorm * yNorm + 2 ** -20;
  return { codes, scale, bound: qz.maxCodeNorm * Math.sqrt(f2) + qz.maxErrNorm * yNorm + rounding };
}

let scratch: Float32Array | null = null;
const KEPT_GATHER = 1 << 20;

/** The pool's candidate rows read in pool order (a growing prefix), scored by the kernel of the full scan. */
class Gathered {
  private readonly buf: Float32Array;
  private read = 0;

  constructor(private readonly rowAt: (row: number) => Float32Array, private readonly dim: number, pool: number, private readonly rows: Int32Array) {
    const size = pool * dim;
    // Reused up to 4 MB (the first pool at 4,096 dims); a grown pool's buffer is not kept.
    this.buf = scratch && scratch.length >= size ? scratch : size <= KEPT_GATHER ? (scratch = new Float32Array(size)) : new Float32Array(size);
  }

  /** Float32 top k of the first `take` candidates, ties by row as in the full scan (every one scored, then sorted by score and row). */
  topOf(take: number, query: Float32Array, k: number): TopK {
    for (; this.read < take; this.read++) this.buf.set(this.rowAt(this.rows[this.read]), this.read * this.dim);
    // A prefix view of the buffer: it starts at the buffer's start, which is all exactSearch needs.
    const scored = topKOf(this.buf.subarray(0, take * this.dim), this.dim, query, take, 0, 1);
    const top = sortTop(Int32Array.from(scored.rows, (at) => this.rows[at]), scored.scores);
    return { rows: top.rows.subarray(0, k), scores: top.scores.subarray(0, k) };
  }
}
