// Semantic near-duplicate clustering over embedding rows, independent of any project (the job and the
// 1M-vector bench both use it). Two methods, both ending in a union-find over rows:
//  - graph: HNSW index, k nearest neighbours of every row (batch search), union every pair with cosine
//    ≥ threshold. Near-linear; the index lives in native memory.
//  - semdedup (Abbas et al. 2023): spherical mini-batch k-means, then exact all-pairs inside each
//    cluster (native SIMD). No graph to hold; duplicates split across a cluster boundary are missed.
import type { Index } from 'usearch';
import usearch from 'usearch';
import { type AnnOptions, ANN_DEFAULTS, buildIndex, CHUNK_ROWS, type RowSource, searchBatch, tick } from './ann-index';
import { assignClusters, trainKMeans } from './kmeans';

export type DedupMethod = 'graph' | 'semdedup';

/** Above this many rows `method: 'auto'` switches from the kNN graph to SemDeDup. */
export const SEMDEDUP_AUTO_ROWS = 2_000_000;

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

export function chooseMethod(rows: number, method?: DedupMethod): DedupMethod {
  return method ?? (rows > SEMDEDUP_AUTO_ROWS ? 'semdedup' : 'graph');
}

export async function findNearDuplicates(src: RowSource, options: DedupOptions): Promise<DedupResult> {
  return chooseMethod(src.rows, options.method) === 'graph' ? graphDedup(src, options) : semDeDup(src, options);
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
  // Counting sort of rows by cluster: starts[c]..starts[c+1] in `order` are cluster c's rows.
  const starts = new Int32Array(k + 1);
  for (let i = 0; i < n; i++) starts[assignment[i] + 1]++;
  for (let c = 0; c < k; c++) starts[c + 1] += starts[c];
  const order = new Int32Array(n);
  const fill = starts.slice(0, k);
  for (let i = 0; i < n; i++) order[fill[assignment[i]]++] = i;

  const sink = new PairSink(n, o.collect ?? false);
  const dim = src.dim;
  let done = 0;
  for (let c = 0; c < k && !o.signal?.aborted; c++) {
    const size = starts[c + 1] - starts[c];
    done += size;
    if (size < 2) continue;
    const rows = order.subarray(starts[c], starts[c + 1]);
    const vecs = new Float32Array(size * dim);
    for (let i = 0; i < size; i++) vecs.set(src.read(rows[i], 1), i * dim);
    const kk = Math.min(size, (o.k ?? 16) + 1);
    const m = usearch.exactSearch(vecs, vecs, dim, kk, 'cos' as never, o.ann?.threads ?? 0) as unknown as { keys: BigUint64Array; distances: Float32Array; counts?: BigUint64Array };
    for (let q = 0; q < size; q++) {
      for (let j = 0; j < kk; j++) {
        const at = q * kk + j;
        const cos = 1 - m.distances[at];
        if (cos < o.threshold) break;
        const other = Number(m.keys[at]);
        if (other === q) continue;
        sink.add(rows[q], rows[other], cos);
      }
    }
    if (c % 16 === 0) {
      o.progress?.('clusters', done, n);
      await tick();
    }
  }
  o.progress?.('clusters', n, n);
  return sink.result(null);
}
