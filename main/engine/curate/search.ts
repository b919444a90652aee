// Search over a model's image embeddings: text → images (the query embedded by the same model) and
// image → similar images. Small projects are scanned exactly (native SIMD, the matrix kept resident between
// queries, streamed in chunks when it is larger than the resident budget). When an exact scan would take
// longer than its budget on this machine (scan-cost.ts: rows × dims × the measured cost per element), the
// saved ANN index (`embeddings/<model>/image.usearch`, memory-mapped) answers instead, approximately, but only
// while it was built from exactly the rows the matrix holds now (ann-index.ts indexState); a missing or
// stale index means an exact scan, never stale hits, and only while its measured recall passes the gate
// (ann-recall.ts: recall@10 vs exact on the project's own text and image probes ≥ MIN_INDEX_RECALL); an
// unmeasured or failing index leaves search exact. Results say which method answered.
import { existsSync, statSync } from 'node:fs';
import type { Index } from 'usearch';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { statement } from '../store/statements';
import { residentBudget, residentRows, scanChunkRows, streamedRows } from '../store/resident-matrix';
import { indexState, type IndexState, loadIndex, readIndexMeta } from './ann-index';
import { indexTopK, type RecallMeasure, recallPasses } from './ann-recall';
import { exactTopK, type TopK, topKOf } from './exact-search';
import { quantizedFor, quantizedTopK, quantizing } from './quantized-scan';
import { exactScanBudgetMs, predictedScanMs, recordScan } from './scan-cost';
import { imageRows, indexFile } from './semantic-job';

export { exactTopK } from './exact-search';

export interface Hit { itemId: number; score: number }
export interface SearchResult {
  method: 'index' | 'exact';
  hits: Hit[];
  /** The saved index against the matrix as it is now. */
  index: IndexState;
  /** In 'auto' mode, an exact scan of this matrix is over its budget: a current index would answer (search.index builds one). */
  slowExact: boolean;
  /** The current index's recall@10 vs exact, measured with this search's settings; undefined: not measured (search.index measures it). */
  indexRecall?: number;
}
/**
 * 'auto': exact unless that is slow and a current index whose measured recall passes the gate exists; 'exact':
 * always scan; 'index': the index whenever it is current, gate or not (measurements and tests).
 */
export type SearchMode = 'auto' | 'exact' | 'index';

/**
 * Search-time HNSW beam width. Text queries sit far from every image vector (cosines ~0.3), where a graph
 * search needs a wide beam: recall@10 vs the exact scan on 20k × 128 planted vectors (M=16, f16) for random
 * directions, ef 128 / 512 / 2048: 0.61 / 0.91 / 0.98 at 0.3 / 0.6 / 1.6 ms per query; queries near a row
 * reach 0.97 already at ef 512 (1M × 128). bench:million measures recall and time at 1M.
 */
export const SEARCH_EXPANSION = 2048;
/** Past this many wanted hits the beam no longer covers them with margin, so deeper requests scan exactly. */
export const INDEX_MAX_WANT = SEARCH_EXPANSION / 4;
/** Candidates asked of the index per wanted hit, all re-scored from the float32 matrix. */
export const SEARCH_POOL = 1;

interface Saved {
  state: IndexState;
  index: Index | null;
  key: string;
  /** The recall measured for this index with SEARCH_EXPANSION and SEARCH_POOL (else undefined). */
  recall: RecallMeasure | undefined;
  /** The recall gate passed: 'auto' search may answer from the index. */
  trusted: boolean;
}
/** Index state and loaded index per index file, valid while the index and matrix files and the row count are unchanged. */
const cache = new Map<string, Saved>();

function fileKey(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

/** The saved index of `set` over its first `rows` rows: its state and, when current, the loaded (memory-mapped) index. */
export function savedIndex(project: Project, set: EmbeddingSet, rows: number): Saved {
  const file = indexFile(project, set);
  const key = `${rows}|${fileKey(file)}|${fileKey(`${file}.json`)}|${fileKey(project.embeddings.matrixPath(set, 'image'))}`;
  const hit = cache.get(file);
  if (hit?.key === key) return hit;
  let state: IndexState = existsSync(file) ? 'stale' : 'missing';
  if (rows > 0 && state === 'stale') {
    const src = imageRows(project, set);
    try {
      state = indexState(file, src, rows);
    } finally {
      src.close();
    }
  }
  const index = state === 'current' ? loadIndex(file, rows, set.dim, { view: true, expansionSearch: SEARCH_EXPANSION }) : null;
  const measured = state === 'current' ? readIndexMeta(file)?.recall : undefined;
  const recall = measured?.beam === SEARCH_EXPANSION && measured.pool === SEARCH_POOL ? measured : undefined;
  const saved: Saved = { state: state === 'current' && !index ? 'stale' : state, index, key, recall, trusted: index !== null && recallPasses(recall, SEARCH_EXPANSION, SEARCH_POOL) };
  cache.set(file, saved);
  return saved;
}

/** Whether an exact scan of `rows` × `dim` is over budget here: predicted slower than the budget, or too large to keep resident. */
export function exactIsSlow(rows: number, dim: number): boolean {
  return rows * dim * 4 > residentBudget() || predictedScanMs(rows, dim) > exactScanBudgetMs();
}

/** The k items whose images are nearest `query` (a normalized vector of the set's dimension). */
export function searchVector(project: Project, set: EmbeddingSet, query: Float32Array, k: number, excludeItem?: number, mode: SearchMode = 'auto'): SearchResult {
  if (query.length !== set.dim) throw new Error(`query has ${query.length} dimensions, the embeddings of ${set.model} have ${set.dim}`);
  const rowsCommitted = committedImageRows(project, set);
  const want = Math.min(k + (excludeItem !== undefined ? 1 : 0) + 4, Math.max(1, rowsCommitted)); // a few spare for unmapped rows
  const saved = savedIndex(project, set, rowsCommitted);
  // Judged only where it can change something (the probe behind it costs a few ms once per process): an index
  // to use, or an index job this process could start.
  const slowExact = rowsCommitted > 0 && mode === 'auto' && (saved.index !== null || !project.readOnly) && exactIsSlow(rowsCommitted, set.dim);
  const useIndex = saved.index !== null && (mode === 'index' || (mode === 'auto' && saved.trusted && slowExact && want <= INDEX_MAX_WANT));
  let rows: ArrayLike<number>;
  let scores: ArrayLike<number>;
  if (useIndex) {
    ({ rows, scores } = rescored(project, set, saved.index!, query, want));
  } else {
    ({ rows, scores } = exactScan(project, set, rowsCommitted, query, want));
  }
  const itemOf = statement(project.db, 'SELECT item_id FROM embedding_rows WHERE set_id = ? AND image_row = ?', { pluck: true });
  const hits: Hit[] = [];
  for (let i = 0; i < rows.length && hits.length < k; i++) {
    if (rows[i] < 0) continue;
    const itemId = itemOf.get(set.id, rows[i]) as number | undefined;
    if (itemId === undefined || itemId === excludeItem) continue;
    hits.push({ itemId, score: Math.round(scores[i] * 1e5) / 1e5 });
  }
  return { method: useIndex ? 'index' : 'exact', hits, index: saved.state, slowExact, ...(saved.recall && { indexRecall: saved.recall.recall }) };
}

/**
 * The index's candidates scored again from the float32 matrix and sorted: the index holds f16 vectors, whose
 * scores are off by ~1e-3, enough to reorder close hits and to move one across a similarity cutoff.
 */
function rescored(project: Project, set: EmbeddingSet, index: Index, query: Float32Array, want: number): TopK {
  const src = imageRows(project, set);
  try {
    return indexTopK(index, src, query, want, SEARCH_POOL);
  } finally {
    src.close();
  }
}

function committedImageRows(project: Project, set: EmbeddingSet): number {
  const file = project.embeddings.matrixPath(set, 'image');
  const onDisk = existsSync(file) ? Math.floor(statSync(file).size / (set.dim * 4)) : 0;
  return Math.min(onDisk, project.embeddings.committedImageRows(set));
}

/** From the resident copy of the matrix when it fits the budget, else streamed through a reused buffer. */
function exactScan(project: Project, set: EmbeddingSet, rows: number, query: Float32Array, k: number): TopK {
  if (rows === 0) return { rows: new Int32Array(0), scores: new Float32Array(0) };
  const file = project.embeddings.matrixPath(set, 'image');
  const resident = residentRows(file, set.dim, rows);
  if (resident) {
    const qz = quantizedFor(resident, set.dim); // started by the matrix's first resident scan, made between searches
    const t0 = performance.now();
    const top = qz ? quantizedTopK(resident, qz, query, k) : topKOf(resident, set.dim, query, k);
    // The cost that predicts later scans: not that of the float32 scans made while the int8 copy is being made.
    if (!quantizing(resident)) recordScan(rows * set.dim, performance.now() - t0);
    return top;
  }
  const src = streamedRows(file, set.dim, rows);
  try {
    return exactTopK(src, query, k, scanChunkRows(set.dim));
  } finally {
    src.close();
  }
}

/** Image vector of an item, or undefined when the item was not embedded with this set. */
export function itemVector(project: Project, set: EmbeddingSet, itemId: number): Float32Array | undefined {
  const r = project.embeddings.rowsOf(set, itemId);
  if (!r) return undefined;
  const m = project.embeddings.matrix(set, 'image');
  try {
    return m.read(r.imageRow);
  } finally {
    m.close();
  }
}
