// The recall gate of the saved ANN index: after the search.index job builds (or finds) an index, it measures
// recall@10 of the index's answers against an exact scan on probe queries that look like the real ones (the
// model's text embeddings of a sample of the project's own captions and labels, and a sample of the project's
// own image vectors, for image → similar), and stores the figure in the index's sidecar. Search trusts the
// index only while that figure, measured with the search's own beam and candidate pool, is at least
// MIN_INDEX_RECALL; an unmeasured or failing index leaves search exact. A graph search can miss badly where
// the queries sit far from every indexed vector (text queries vs image vectors: 0.69 at 1M × 128, beam 2048),
// so "approximate" has to be proven on the project's own data, not assumed from a planted benchmark.
import type { Index } from 'usearch';
import { type RowSource, searchBatch, tick } from './ann-index';
import { scanChunks, type TopK } from './exact-search';
import { dot } from './zero-shot';

/**
 * Least recall@10 vs the exact scan for which search answers from the index: an answer labelled approximate
 * that misses more than one of the true top 10 in twenty is a defect, and the exact scan is always available.
 */
export const MIN_INDEX_RECALL = 0.95;
/** Hits per probe whose overlap with the exact top list is measured. */
export const RECALL_K = 10;
/** Probe queries per kind (text, image): enough that one bad query moves recall by ≤ 0.5 %. */
export const RECALL_PROBES = 24;

/** What the sidecar records: recall of the weaker probe kind, and the search settings it was measured with. */
export interface RecallMeasure {
  recall: number;
  probes: number;
  beam: number;
  /** Candidates the index returns per wanted hit, re-scored exactly (search.ts indexTopK). */
  pool: number;
  k: number;
  text?: number;
  images?: number;
  measuredAt: string;
}

/** Candidate rows for a query, best first by the index's own (approximate) scores (a graph walk). */
export type Candidates = (query: Float32Array, count: number) => ArrayLike<number>;

/** The HNSW index's candidates (rows) for a query. */
export function graphCandidates(index: Index, dim: number): Candidates {
  return (query, count) => Array.from(searchBatch(index, query, dim, count).keys, Number);
}

/** An approximate search's path: `want × pool` candidates, re-scored from the float32 rows, best first. */
export function rescoredTopK(candidates: Candidates, src: RowSource, query: Float32Array, want: number, pool: number): TopK {
  const scored = Array.from(candidates(query, want * pool)).filter((row) => row >= 0 && row < src.rows).map((row) => ({ row, s: dot(src.read(row, 1), query) })).sort((a, b) => b.s - a.s || a.row - b.row).slice(0, want);
  return { rows: Int32Array.from(scored, (x) => x.row), scores: Float32Array.from(scored, (x) => x.s) };
}

/** The search's path through the graph index (rescoredTopK of its candidates). */
export function indexTopK(index: Index, src: RowSource, query: Float32Array, want: number, pool: number): TopK {
  return rescoredTopK(graphCandidates(index, src.dim), src, query, want, pool);
}

/**
 * The exact top `k` rows of each query, the truth recall is measured against. The scan yields to the event loop
 * between chunks (seconds at 1M rows) and stops when `signal` aborts.
 */
export async function exactTruth(src: RowSource, queries: Float32Array[], k: number, signal?: AbortSignal): Promise<TopK[]> {
  if (queries.length === 0) return [];
  const scan = scanChunks(src, queries, k);
  let step = scan.next();
  for (; !step.done; step = scan.next()) {
    await tick();
    signal?.throwIfAborted();
  }
  return step.value;
}

/** recall@k of an approximate search (rescoredTopK of `candidates`) vs `truth` (exactTruth of the same queries); 1 when there are none. */
export function recallAgainst(truth: TopK[], candidates: Candidates, src: RowSource, queries: Float32Array[], k: number, pool: number): number {
  let found = 0;
  let wanted = 0;
  queries.forEach((q, i) => {
    const exact = new Set(truth[i].rows);
    wanted += exact.size;
    found += Array.from(rescoredTopK(candidates, src, q, k, pool).rows).filter((r) => exact.has(r)).length;
  });
  return wanted ? found / wanted : 1;
}

/** `count` rows spread evenly over `src` as queries (image → similar probes). */
export function spreadRows(src: RowSource, count: number): Float32Array[] {
  const n = Math.min(count, src.rows);
  return Array.from({ length: n }, (_, i) => src.read(Math.floor(((i + 0.5) * src.rows) / n), 1).slice());
}

/** Whether `m` was measured with these search settings and passes the gate. */
export function recallPasses(m: RecallMeasure | undefined, beam: number, pool: number): boolean {
  return m !== undefined && m.beam === beam && m.pool === pool && m.recall >= MIN_INDEX_RECALL;
}
