// Search over a model's image embeddings: text → images (the query embedded by the same model) and
// image → similar images. Small projects are scanned exactly (native SIMD, the matrix kept resident between
// queries, streamed in chunks when it is larger than the resident budget). When an exact scan would take
// longer than its budget on this machine (scan-cost.ts: rows × dims × the measured cost per element), the
// saved ANN index (`embeddings/<model>/image.usearch`, memory-mapped) answers instead, approximately, but only
// while it was built from exactly the rows the matrix holds now (ann-index.ts indexState); a missing or
// stale index means an exact scan, never stale hits, and only while its measured recall passes the gate
// (ann-recall.ts: recall@10 vs exact on the project's own text and image probes ≥ MIN_INDEX_RECALL); an
// unmeasured or failing index leaves search exact. The exact scan itself is guided by an int8 copy of the
// matrix (quantized-scan.ts: a byte scan proposes candidates, re-scored in float32, and a bound proves the
// top k exact): the saved copy (quantized-index.ts, built by the search.index job) while it is current, so
// that only its codes are resident and candidates are read from the file, else a copy made beside the
// resident float32 matrix. Where the search.index job timed the saved copy's search on this machine within
// the budget (scan-cost.ts), no graph is built and none is needed: results report the graph as 'not-needed'
// with that timing, and such a search starts no job. Results say which method answered.
import { existsSync, statSync } from 'node:fs';
import type { Index } from 'usearch';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { statement } from '../store/statements';
import { residentBudget, residentRows, scanChunkRows, streamedRows } from '../store/resident-matrix';
import { indexState, type IndexState, loadIndex, readIndexMeta, type RowSource } from './ann-index';
import { indexTopK, type RecallMeasure, recallPasses } from './ann-recall';
import { exactTopK, type TopK, topKOf } from './exact-search';
import { CopyMismatch, copyScan, loadQuantized, quantizedFits, quantizedFile, quantizedState, type SavedCopy, savedCopyTopK } from './quantized-index';
import { quantizedFor, quantizedTopK, quantizing } from './quantized-scan';
import { exactScanBudgetMs, predictedScanMs, recordScan, type ScanMeasure, scanWithinBudget, thisMachine } from './scan-cost';
import { imageRows, indexFile } from './semantic-index';

export { exactTopK } from './exact-search';

export interface Hit { itemId: number; score: number }
/**
 * The graph index's state, or 'not-needed': the saved int8 copy is current and its exact search, timed on this
 * machine by the search.index job, answers within the budget, so the job built no graph.
 */
export type GraphState = IndexState | 'not-needed';
export interface SearchResult {
  method: 'index' | 'exact';
  hits: Hit[];
  /** The saved graph index against the matrix as it is now. */
  index: GraphState;
  /** With index 'not-needed': the int8 copy's timed exact search (ms per query on this machine, scan-cost.ts ScanMeasure). */
  scanMs?: number;
  /** In 'auto' mode, an exact scan of this matrix is over its budget: a current index would answer (search.index builds one). */
  slowExact: boolean;
  /**
   * The recall@10 vs exact of the index that answered, else of the current graph index, measured with this
   * search's settings; undefined: not measured (search.index measures it).
   */
  indexRecall?: number;
  /** The graph index is missing, stale or unmeasured, or the int8 copy missing or stale: the search.index job would build or measure them. */
  unproven: boolean;
}
/**
 * 'auto': exact unless that is slow and a current index whose measured recall passes the gate exists; 'exact':
 * always scan; 'index': the graph index whenever it is current, gate or not (measurements and tests).
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
/** Hits per query when the search.index job times the int8 copy's search: a results page (the API's default 50) and the spares searchVector asks for. */
export const SCAN_PROBE_K = 55;

interface Saved<I> {
  state: IndexState;
  /**
   * The loaded index, on first use: the graph memory-mapped (usearch's `view` walks every node to find its
   * offsets, which brings the whole file into resident memory: +219 MiB at 1M × 128), the int8 copy's codes
   * read into memory; so an index that does not answer is never loaded.
   */
  index: I | null;
  key: string;
  /** The recall measured for this index with the search's settings (else undefined). */
  recall: RecallMeasure | undefined;
  /** Current, and the recall gate passed: 'auto' search may answer from the index. */
  trusted: boolean;
  /** The int8 copy's timed search (quantized-index.ts copyScan), while current. */
  scan?: ScanMeasure | 'none';
}
/** Index state and measured recall per index file, valid while the index and matrix files and the row count are unchanged. */
const cache = new Map<string, Saved<unknown>>();

/** Forgets every index state read (tests: a project reopened in a fresh process). */
export function forgetSavedStates(): void {
  cache.clear();
}

function fileKey(file: string): string {
  try {
    const st = statSync(file);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

/**
 * The state of the index at `file` over the first `rows` rows of `set` (`check`: its digest against the rows)
 * and its recall as measured with `beam` and `pool`, checked again only when the index, its sidecar, the
 * matrix or the row count changes.
 */
function savedAt<I>(project: Project, set: EmbeddingSet, rows: number, file: string, check: (src: RowSource) => IndexState, measured: () => RecallMeasure | undefined, beam: number, pool: number, timed?: () => ScanMeasure | 'none' | undefined): Saved<I> {
  const key = `${rows}|${fileKey(file)}|${fileKey(`${file}.json`)}|${fileKey(project.embeddings.matrixPath(set, 'image'))}`;
  const hit = cache.get(file) as Saved<I> | undefined;
  if (hit?.key === key) return hit;
  let state: IndexState = existsSync(file) ? 'stale' : 'missing';
  if (rows > 0 && state === 'stale') {
    const src = imageRows(project, set);
    try {
      state = check(src);
    } finally {
      src.close();
    }
  }
  const m = state === 'current' ? measured() : undefined;
  const recall = m?.beam === beam && m.pool === pool ? m : undefined;
  const saved: Saved<I> = { state, index: null, key, recall, trusted: state === 'current' && recallPasses(recall, beam, pool), ...(state === 'current' && timed && { scan: timed() }) };
  cache.set(file, saved);
  return saved;
}

/** The saved graph index of `set` over its first `rows` rows: its state and its measured recall (graphIndex maps it). */
export function savedIndex(project: Project, set: EmbeddingSet, rows: number): Saved<Index> {
  const file = indexFile(project, set);
  return savedAt(project, set, rows, file, (src) => indexState(file, src, rows), () => readIndexMeta(file)?.recall, SEARCH_EXPANSION, SEARCH_POOL);
}

/** The saved int8 copy of `set` over its first `rows` rows: its state and its timed search (savedCopy loads it; exact, so its recall is never measured). */
export function savedQuantized(project: Project, set: EmbeddingSet, rows: number): Saved<SavedCopy> {
  const file = quantizedFile(project, set);
  return savedAt(project, set, rows, file, (src) => quantizedState(file, src, rows), () => undefined, 0, 0, () => copyScan(file));
}

/** The mapped graph index behind `saved` (on first use); null, and `saved` stale, when it no longer loads. */
function graphIndex(project: Project, set: EmbeddingSet, saved: Saved<Index>, rows: number): Index | null {
  if (!saved.index && saved.state === 'current') {
    saved.index = loadIndex(indexFile(project, set), rows, set.dim, { view: true, expansionSearch: SEARCH_EXPANSION });
    if (!saved.index) Object.assign(saved, { state: 'stale', trusted: false });
  }
  return saved.index;
}

/** The int8 copy behind `saved` in memory (read on first use), or null when it does not load (past the resident budget, or its bytes changed). */
function savedCopy(project: Project, set: EmbeddingSet, saved: Saved<SavedCopy>, rows: number): SavedCopy | null {
  if (!saved.index && saved.state === 'current') saved.index = loadQuantized(quantizedFile(project, set), rows, set.dim);
  return saved.index;
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
  const quant = savedQuantized(project, set, rowsCommitted);
  const fits = quantizedFits(rowsCommitted, set.dim);
  const copy = copyStanding(quant, fits);
  // Judged only where it can change something (the probe behind it costs a few ms once per process): an index
  // to use, or an index job this process could start. A copy timed within the budget is not slow.
  const slowExact = rowsCommitted > 0 && mode === 'auto' && !copy.answers && (saved.state === 'current' || quant.state === 'current' || !project.readOnly) && exactIsSlow(rowsCommitted, set.dim);
  const graph = mode === 'index' || (mode === 'auto' && saved.trusted && slowExact && want <= INDEX_MAX_WANT) ? graphIndex(project, set, saved, rowsCommitted) : null;
  const useIndex = graph !== null;
  let rows: ArrayLike<number>;
  let scores: ArrayLike<number>;
  if (useIndex) {
    ({ rows, scores } = rescored(project, set, (src) => indexTopK(graph!, src, query, want, SEARCH_POOL)));
  } else {
    ({ rows, scores } = exactScan(project, set, rowsCommitted, query, want, quant));
  }
  const itemOf = statement(project.db, 'SELECT item_id FROM embedding_rows WHERE set_id = ? AND image_row = ?', { pluck: true });
  const hits: Hit[] = [];
  for (let i = 0; i < rows.length && hits.length < k; i++) {
    if (rows[i] < 0) continue;
    const itemId = itemOf.get(set.id, rows[i]) as number | undefined;
    if (itemId === undefined || itemId === excludeItem) continue;
    hits.push({ itemId, score: Math.round(scores[i] * 1e5) / 1e5 });
  }
  const recall = saved.recall;
  // What the search.index job would still do: build or time the copy, else (the copy over budget) build or measure the graph.
  const unproven = (fits && !copy.timed) || (!copy.answers && (saved.state !== 'current' || !saved.recall));
  const notNeeded = copy.answers && saved.state !== 'current';
  return {
    method: useIndex ? 'index' : 'exact', hits, index: notNeeded ? 'not-needed' : saved.state, slowExact, unproven,
    ...(recall && { indexRecall: recall.recall }), ...(notNeeded && { scanMs: (quant.scan as ScanMeasure).ms }),
  };
}

/**
 * Where the saved int8 copy stands: `timed`, current and its search timed on this machine (or no copy can be
 * made of the rows: nothing to time); `answers`, timed within the budget, so no graph is needed.
 */
function copyStanding(quant: Saved<SavedCopy>, fits: boolean): { timed: boolean; answers: boolean } {
  if (quant.state !== 'current' || quant.scan === undefined) return { timed: false, answers: false };
  if (quant.scan === 'none') return { timed: true, answers: false };
  const here = quant.scan.machine === thisMachine();
  return { timed: here, answers: fits && here && scanWithinBudget(quant.scan) };
}

/**
 * The graph's candidates scored again from the float32 matrix (read row by row from the file, never made
 * resident) and sorted: the graph holds f16 vectors, whose scores are off by ~1e-3, enough to reorder close
 * hits and to move one across a similarity cutoff.
 */
function rescored(project: Project, set: EmbeddingSet, top: (src: RowSource) => TopK): TopK {
  const src = imageRows(project, set);
  try {
    return top(src);
  } finally {
    src.close();
  }
}

function committedImageRows(project: Project, set: EmbeddingSet): number {
  const file = project.embeddings.matrixPath(set, 'image');
  const onDisk = existsSync(file) ? Math.floor(statSync(file).size / (set.dim * 4)) : 0;
  return Math.min(onDisk, project.embeddings.committedImageRows(set));
}

/**
 * Guided by the saved int8 copy while it is current (its codes resident, the candidates read from the file:
 * the float32 matrix is never made resident), else from the resident matrix when it fits the budget (with its
 * own int8 copy), else streamed through a reused buffer.
 */
function exactScan(project: Project, set: EmbeddingSet, rows: number, query: Float32Array, k: number, quant: Saved<SavedCopy>): TopK {
  if (rows === 0) return { rows: new Int32Array(0), scores: new Float32Array(0) };
  const file = project.embeddings.matrixPath(set, 'image');
  const copy = savedCopy(project, set, quant, rows);
  if (copy) {
    const src = streamedRows(file, set.dim, rows);
    try {
      return savedCopyTopK(copy, src, query, k, () => exactTopK(src, query, k, scanChunkRows(set.dim)));
    } catch (err) {
      if (!(err instanceof CopyMismatch)) throw err;
      console.warn(err.message);
      Object.assign(quant, { state: 'stale', index: null });
    } finally {
      src.close();
    }
  }
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
