// Exact top-k by inner product (rows and queries are L2-normalized, so it is the cosine), scored by
// usearch's native SIMD scan instead of a JS loop: one call over a resident matrix, or chunk by chunk
// (each chunk's top k merged) when the matrix is streamed.
import usearch from 'usearch';
import type { RowSource } from './ann-index';

export interface TopK { rows: Int32Array; scores: Float32Array }

/**
 * Rows of `data` (`dim` wide) by descending dot product with `query`; ties by row, offset by `first`.
 * `threads`: usearch splits the rows between them (0: one per core).
 */
export function topKOf(data: Float32Array, dim: number, query: Float32Array, k: number, first = 0, threads = 0): TopK {
  const n = data.length / dim;
  const kk = Math.min(k, n);
  if (kk <= 0) return { rows: new Int32Array(0), scores: new Float32Array(0) };
  const m = usearch.exactSearch(fromStart(data), fromStart(query), dim, kk, usearch.MetricKind.IP, threads) as { keys: BigUint64Array; distances: Float32Array };
  const rows = Int32Array.from(m.keys, (key) => Number(key) + first);
  const scores = Float32Array.from(m.distances, (d) => 1 - d); // usearch's IP distance is 1 − dot
  return sortTop(rows, scores);
}

/** The k best of several partial top lists. */
export function mergeTop(parts: TopK[], k: number): TopK {
  const rows = new Int32Array(parts.reduce((a, p) => a + p.rows.length, 0));
  const scores = new Float32Array(rows.length);
  let at = 0;
  for (const p of parts) {
    rows.set(p.rows, at);
    scores.set(p.scores, at);
    at += p.rows.length;
  }
  const top = sortTop(rows, scores);
  return { rows: top.rows.slice(0, k), scores: top.scores.slice(0, k) };
}

/**
 * exactSearch reads each typed array from the start of its buffer (for the array's length): a view that
 * starts elsewhere is copied, a prefix of a larger buffer is passed as it is.
 */
function fromStart(a: Float32Array): Float32Array {
  return a.byteOffset === 0 ? a : a.slice();
}

/** Sorted by descending score, ties by row. */
export function sortTop(rows: Int32Array, scores: Float32Array): TopK {
  const order = Array.from({ length: rows.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || rows[a] - rows[b]);
  return { rows: Int32Array.from(order, (i) => rows[i]), scores: Float32Array.from(order, (i) => scores[i]) };
}

/** Top-k rows of a streamed source: `chunkRows` rows in memory at a time. */
export function exactTopK(src: RowSource, query: Float32Array, k: number, chunkRows = 65_536): TopK {
  const scan = scanChunks(src, [query], k, chunkRows);
  for (;;) {
    const step = scan.next();
    if (step.done) return step.value[0];
  }
}

/**
 * Top-k rows of every query in one pass over a streamed source (each chunk read once, scored for all queries),
 * one chunk per step (yielding the rows done), so a job can give the event loop a turn between chunks.
 */
export function* scanChunks(src: RowSource, queries: Float32Array[], k: number, chunkRows = 65_536): Generator<number, TopK[]> {
  let best: TopK[] = queries.map(() => ({ rows: new Int32Array(0), scores: new Float32Array(0) }));
  for (let first = 0; first < src.rows; first += chunkRows) {
    const chunk = src.read(first, Math.min(chunkRows, src.rows - first));
    best = best.map((b, q) => mergeTop([b, topKOf(chunk, src.dim, queries[q], k, first)], k));
    yield first + chunk.length / src.dim;
  }
  return best;
}
