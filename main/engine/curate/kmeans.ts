// Spherical mini-batch k-means over streamed rows (Sculley 2010, with per-centre learning rates 1/n).
// Batches are read as contiguous runs at evenly spread offsets, so only one batch is in memory; the
// nearest centre of every row is found natively (usearch exactSearch, cosine).
import usearch from 'usearch';
import { ownBuffer, type RowSource, tick } from './ann-index';

export interface KMeansOptions {
  batch?: number;
  iterations?: number;
  seed?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number) => void;
}

/** Deterministic 32-bit generator (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normalizeRows(m: Float32Array, dim: number): void {
  for (let o = 0; o < m.length; o += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += m[o + j] * m[o + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) m[o + j] *= inv;
  }
}

/** Nearest centre of each row of `rows` (cosine). */
export function nearest(centroids: Float32Array, k: number, rows: Float32Array, dim: number): Int32Array {
  const n = rows.length / dim;
  const out = new Int32Array(n);
  if (k === 1) return out;
  const m = usearch.exactSearch(ownBuffer(centroids), ownBuffer(rows), dim, 1, 'cos' as never, 0) as unknown as { keys: BigUint64Array };
  for (let i = 0; i < n; i++) out[i] = Number(m.keys[i]);
  return out;
}

/** A contiguous run of `count` rows starting at a random row. */
function randomRun(src: RowSource, count: number, rnd: () => number): Float32Array {
  const c = Math.min(count, src.rows);
  return src.read(Math.floor(rnd() * (src.rows - c + 1)), c);
}

export async function trainKMeans(src: RowSource, k: number, o: KMeansOptions = {}): Promise<Float32Array> {
  const dim = src.dim;
  const rnd = mulberry32(o.seed ?? 1);
  const batch = o.batch ?? Math.max(4096, 4 * k);
  const iterations = o.iterations ?? 20;
  // Initial centres: k rows at random positions (one read each).
  const centroids = new Float32Array(k * dim);
  for (let c = 0; c < k; c++) centroids.set(src.read(Math.floor(rnd() * src.rows), 1), c * dim);
  const counts = new Float64Array(k);
  for (let it = 0; it < iterations && !o.signal?.aborted; it++) {
    // Several short runs per batch so one batch does not come from a single region of the file.
    const runs = 8;
    const parts = Array.from({ length: runs }, () => randomRun(src, Math.ceil(batch / runs), rnd));
    for (const rows of parts) {
      const assign = nearest(centroids, k, rows, dim);
      for (let i = 0; i < assign.length; i++) {
        const c = assign[i];
        const eta = 1 / ++counts[c];
        const co = c * dim;
        const ro = i * dim;
        for (let j = 0; j < dim; j++) centroids[co + j] += eta * (rows[ro + j] - centroids[co + j]);
      }
    }
    normalizeRows(centroids, dim);
    o.progress?.(it + 1, iterations);
    await tick();
  }
  return centroids;
}

/** Cluster of every row, in one streamed pass. */
export async function assignClusters(src: RowSource, centroids: Float32Array, k: number, o: KMeansOptions = {}): Promise<Int32Array> {
  const n = src.rows;
  const out = new Int32Array(n);
  const chunk = 4096;
  for (let first = 0; first < n && !o.signal?.aborted; first += chunk) {
    const count = Math.min(chunk, n - first);
    out.set(nearest(centroids, k, src.read(first, count), src.dim), first);
    o.progress?.(first + count, n);
    await tick();
  }
  return out;
}
