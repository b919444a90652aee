// Semantic near-duplicate clustering over embedding rows, independent of any project (the job and the
// 1M-vector bench both use it). Two methods, both ending in a union-find over rows:
//  - graph: HNSW index, k nearest neighbours of every row (batch search), union every pair with cosine
//    ≥ threshold. Near-linear; the index lives in native memory.
//  - semdedup (Abbas et al. 2023): spherical mini-batch k-means, then exact all-pairs inside each
//    cluster (native SIMD). No graph to hold; duplicates split across a cluster boundary are missed.
import type { Index } from 'usearch';
import usearch from 'usearch';
import { type AnnOptions, ANN_DEFAULTS, buildIndex, CHUNK_ROWS, ownBuffer, type RowSource, searchBatch, tick } from './ann-index';
import { assignClusters, trainKMeans } from './kmeans';

export type DedupMethod = 'graph' | 'semdedup';

/**
 * The default method switches from the kNN graph to SemDeDup above this many matrix cells (rows × dim).
 * Measured on planted vectors (threshold 0.95, k 16, 2 shared cores, both methods in one run):
 *   rows × dim      graph            SemDeDup
 *   5k × 128        1.6 s, recall 1  2.8 s, recall 0.981   (few clusters: boundaries cut pairs)
 *   5k × 512        7.9 s, recall 1  5.4 s, recall 1
 *   20k × 128      17.9 s, recall 1  4.2 s, recall 1
 *   20k × 512      41.6 s, recall 1  8.7 s, recall 1
 *   50k × 128      81.9 s, recall 1  16.6 s, recall 0.997
 *   50k × 512     162.3 s, recall 1  22.4 s, recall 1
 * The crossover lies between 0.64M and 2.56M cells; past it SemDeDup is 4-7× faster at equal recall.
 */
export const SEMDEDUP_AUTO_CELLS = 1_500_000;

export interface DedupOptions {
  threshold: number;
  method?: DedupMethod;
  /** Neighbours searched per row (graph). */
  k?: number;
  ann?: AnnOptions;
  /** k-means clusters (semdedup); default ≈ rows / 1000. */
  clusters?: number;
  /** An index already built over the same rows (graph); otherwise one is built. */
  index?: Index;
  signal?: AbortSignal;
  /**
   * Return the pairs at or above the threshold (`candidates`) instead of joining them, so a caller can
   * verify each pair before grouping.
   */
  collect?: boolean;
  /** Rows processed within the current phase. */
  progress?: (phase: 'index' | 'search' | 'kmeans' | 'clusters', done: number, total: number) => void;
}

export interface DedupResult {
  uf: UnionFind;
  /** Pairs at or above the threshold (each unordered pair counted once per direction it was found in). */
  pairs: number;
  /** The index built or used (graph), so callers can save it. */
  index: Index | null;
  /** With `collect`: each unordered pair once (a < b) with its cosine. */
  candidates: CandidatePair[];
}

export interface CandidatePair { a: number; b: number; cos: number }

/** Collects unordered pairs once, or joins them straight away. */
class PairSink {
  readonly uf: UnionFind;
  readonly candidates: CandidatePair[] = [];
  private readonly seen = new Set<number>();
  pairs = 0;

  constructor(n: number, private readonly collect: boolean) {
    this.uf = new UnionFind(collect ? 0 : n);
  }

  add(a: number, b: number, cos: number): void {
    this.pairs++;
    if (!this.collect) {
      this.uf.union(a, b);
      return;
    }
    const [lo, hi] = a < b ? [a, b] : [b, a];
    // lo·2^26 + hi stays an exact double for up to 2^26 rows per side.
    const key = lo * 67_108_864 + hi;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.candidates.push({ a: lo, b: hi, cos });
  }

  result(index: Index | null): DedupResult {
    return { uf: this.uf, pairs: this.pairs, index, candidates: this.candidates };
  }
}

/** Disjoint sets over rows 0..n-1 (union by size, path halving); 8 bytes per row. */
export class UnionFind {
  readonly parent: Int32Array;
  private readonly size: Int32Array;

  constructor(readonly n: number) {
    this.parent = new Int32Array(n);
    this.size = new Int32Array(n).fill(1);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }

  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]];
      x = p[x];
    }
    return x;
  }

  union(a: number, b: number): boolean {
    let ra = this.find(a);
    let rb = this.find(b);
    if (ra === rb) return false;
    if (this.size[ra] < this.size[rb]) [ra, rb] = [rb, ra];
    this.parent[rb] = ra;
    this.size[ra] += this.size[rb];
    return true;
  }

  /** Groups of 2+ rows, each sorted ascending, ordered by their first row. */
  groups(): number[][] {
    const byRoot = new Map<number, number[]>();
    for (let i = 0; i < this.n; i++) {
      const r = this.find(i);
      if (this.size[r] < 2) continue;
      let g = byRoot.get(r);
      if (!g) byRoot.set(r, (g = []));
      g.push(i);
    }
    return [...byRoot.values()].sort((a, b) => a[0] - b[0]);
  }
}

/** How far a quantized cosine can be from the exact one (measured: i8 ≤ 0.01, f16 ≤ 0.001 on unit vectors), doubled. */
const QUANT_MARGIN = { f32: 1e-5, f16: 0.002, i8: 0.02 } as const;

function dot(a: Float32Array, offset: number, b: Float32Array, dim: number): number {
  let s = 0;
  for (let j = 0; j < dim; j++) s += a[offset + j] * b[j];
  return s;
}

export function chooseMethod(rows: number, dim: number, method?: DedupMethod): DedupMethod {
  return method ?? (rows * dim > SEMDEDUP_AUTO_CELLS ? 'semdedup' : 'graph');
}

export async function findNearDuplicates(src: RowSource, options: DedupOptions): Promise<DedupResult> {
  return chooseMethod(src.rows, src.dim, options.method) === 'graph' ? graphDedup(src, options) : semDeDup(src, options);
}

async function graphDedup(src: RowSource, o: DedupOptions): Promise<DedupResult> {
  const n = src.rows;
  const index = o.index ?? (await buildIndex(src, o.ann, (d) => o.progress?.('index', d, n), o.signal));
  const sink = new PairSink(n, o.collect ?? false);
  const k = (o.k ?? 16) + 1;
  const margin = QUANT_MARGIN[o.ann?.quantization ?? ANN_DEFAULTS.quantization];
  for (let first = 0; first < n && !o.signal?.aborted; first += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, n - first);
    const queries = src.read(first, count);
    const res = searchBatch(index, queries, src.dim, k, o.ann?.threads ?? 0);
    for (let q = 0; q < count; q++) {
      const row = first + q;
      const found = Number(res.counts[q]);
      for (let j = 0; j < found; j++) {
        const at = q * res.k + j;
        const other = Number(res.keys[at]);
        // Results are sorted by (quantized) similarity: stop at the first one clearly under the threshold.
        if (res.sims[at] < o.threshold - margin) break;
        if (other === row) continue;
        // Candidates near the threshold are decided on the exact float32 cosine, not the quantized one.
        const cos = res.sims[at] < o.threshold + margin ? dot(queries, q * src.dim, src.read(other, 1), src.dim) : res.sims[at];
        if (cos < o.threshold) continue;
        sink.add(row, other, cos);
      }
    }
    o.progress?.('search', first + count, n);
    await tick();
  }
  return sink.result(index);
}

async function semDeDup(src: RowSource, o: DedupOptions): Promise<DedupResult> {
  const n = src.rows;
  const k = Math.max(1, Math.min(n, o.clusters ?? Math.round(n / 1000)));
  const centroids = await trainKMeans(src, k, { signal: o.signal, progress: (d, t) => o.progress?.('kmeans', d, t) });
  const assignment = await assignClusters(src, centroids, k, { signal: o.signal, progress: (d) => o.progress?.('kmeans', d, n) });
  const sink = new PairSink(n, o.collect ?? false);
  // Mini-batch k-means leaves some clusters far larger than n / k; the work inside a cluster is quadratic,
  // so those are split again (k-means on their own rows) until each is at most MAX_SPREAD × the target size.
  const target = Math.max(64, Math.ceil(n / k));
  let done = 0;
  const within = async (rows: Int32Array, depth: number): Promise<void> => {
    if (o.signal?.aborted || rows.length < 2) return;
    if (rows.length > MAX_SPREAD * target && depth < MAX_SPLITS) {
      const parts = Math.ceil(rows.length / target);
      const sub: RowSource = { dim: src.dim, rows: rows.length, read: (r, c = 1) => gatherRows(src, rows.subarray(r, r + c)) };
      const subCentroids = await trainKMeans(sub, parts, { signal: o.signal, iterations: 10, seed: depth + 2 });
      const subAssign = await assignClusters(sub, subCentroids, parts, { signal: o.signal });
      for (const group of groupBy(subAssign, parts)) await within(group.map((i) => rows[i]), depth + 1);
      return;
    }
    pairsWithin(src, rows, o, sink);
    done += rows.length;
    o.progress?.('clusters', done, n);
    await tick();
  };
  for (const rows of groupBy(assignment, k)) await within(rows, 0);
  o.progress?.('clusters', n, n);
  return sink.result(null);
}

/** How far over the target size a cluster may grow before it is split again, and how many times. */
const MAX_SPREAD = 4;
const MAX_SPLITS = 3;
/** Rows of one exact-search call: bounds the distance block usearch allocates (rows × cluster size). */
const QUERY_CHUNK = 1024;

/** Row indexes per cluster id (counting sort). */
function groupBy(assignment: Int32Array, k: number): Int32Array[] {
  const starts = new Int32Array(k + 1);
  for (let i = 0; i < assignment.length; i++) starts[assignment[i] + 1]++;
  for (let c = 0; c < k; c++) starts[c + 1] += starts[c];
  const order = new Int32Array(assignment.length);
  const fill = starts.slice(0, k);
  for (let i = 0; i < assignment.length; i++) order[fill[assignment[i]]++] = i;
  return Array.from({ length: k }, (_, c) => order.subarray(starts[c], starts[c + 1]));
}

function gatherRows(src: RowSource, rows: Int32Array): Float32Array {
  const out = new Float32Array(rows.length * src.dim);
  for (let i = 0; i < rows.length; i++) out.set(src.read(rows[i], 1), i * src.dim);
  return out;
}

/** Exact all-pairs inside one cluster (native SIMD), queries in chunks so memory stays bounded. */
function pairsWithin(src: RowSource, rows: Int32Array, o: DedupOptions, sink: PairSink): void {
  const size = rows.length;
  const dim = src.dim;
  const vecs = gatherRows(src, rows);
  const kk = Math.min(size, (o.k ?? 16) + 1);
  for (let first = 0; first < size; first += QUERY_CHUNK) {
    const count = Math.min(QUERY_CHUNK, size - first);
    const queries = ownBuffer(vecs.subarray(first * dim, (first + count) * dim));
    const m = usearch.exactSearch(vecs, queries, dim, kk, 'cos' as never, o.ann?.threads ?? 0) as unknown as { keys: BigUint64Array; distances: Float32Array };
    for (let q = 0; q < count; q++) {
      for (let j = 0; j < kk; j++) {
        const at = q * kk + j;
        const cos = 1 - m.distances[at];
        if (cos < o.threshold) break;
        const other = Number(m.keys[at]);
        if (other === first + q) continue;
        sink.add(rows[first + q], rows[other], cos);
      }
    }
  }
}
