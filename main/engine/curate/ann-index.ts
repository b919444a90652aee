// Approximate nearest-neighbour index (usearch HNSW, cosine) over a model's image embeddings. Built by
// streaming the matrix in chunks: usearch keeps the vectors in its own native memory (f16 by default,
// half the matrix size), JS only ever holds one chunk. Keys are image rows of the matrix.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import usearch, { type Index } from 'usearch';
import type { RecallMeasure } from './ann-recall';

/** Anything row-addressable holding L2-normalized float32 rows (a MatrixFile, a bench matrix). */
export interface RowSource {
  readonly dim: number;
  readonly rows: number;
  read(row: number, count?: number): Float32Array;
}

export type Quantization = 'f32' | 'f16' | 'i8';

export interface AnnOptions {
  quantization?: Quantization;
  /** HNSW graph degree (M). */
  connectivity?: number;
  expansionAdd?: number;
  expansionSearch?: number;
  /** Native threads for add/search (0: all cores). */
  threads?: number;
}

/** Graph quality that keeps near-duplicate recall at 1.0 on the planted 20k × 512 bench set (M=12, ef=48/32 missed 0.5-1%). */
export const ANN_DEFAULTS: Required<AnnOptions> = { quantization: 'f16', connectivity: 16, expansionAdd: 128, expansionSearch: 128, threads: 0 };

export const CHUNK_ROWS = 2048;

/** Lets the event loop breathe between native calls (progress events, cancel requests). */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * `a` as a Float32Array that starts at offset 0 of its own buffer: usearch's exactSearch reads a typed
 * array's buffer from its start, so a subarray view would silently search other rows.
 */
export function ownBuffer(a: Float32Array): Float32Array {
  return a.byteOffset === 0 && a.byteLength === a.buffer.byteLength ? a : a.slice();
}

export function createIndex(dim: number, options: AnnOptions = {}): Index {
  const o = { ...ANN_DEFAULTS, ...options };
  return new usearch.Index({
    dimensions: dim, metric: 'cos' as never, quantization: o.quantization as never, connectivity: o.connectivity,
    expansion_add: o.expansionAdd, expansion_search: o.expansionSearch, multi: false,
  });
}

/** Builds an index over rows [0, src.rows) chunk by chunk; `progress(done)` after every chunk; stops when `signal` aborts. */
export async function buildIndex(src: RowSource, options: AnnOptions = {}, progress?: (done: number) => void, signal?: AbortSignal): Promise<Index> {
  const index = createIndex(src.dim, options);
  const threads = options.threads ?? ANN_DEFAULTS.threads;
  const total = src.rows;
  for (let first = 0; first < total; first += CHUNK_ROWS) {
    if (signal?.aborted) break;
    const count = Math.min(CHUNK_ROWS, total - first);
    const keys = new BigUint64Array(count);
    for (let i = 0; i < count; i++) keys[i] = BigInt(first + i);
    index.add(keys, src.read(first, count), threads);
    progress?.(first + count);
    await tick();
  }
  return index;
}

/** Neighbours of a batch of query vectors: row keys and cosine similarities, `k` per query (fewer when the index is small). */
export interface Neighbours { keys: BigUint64Array; sims: Float32Array; counts: BigUint64Array; k: number }

export function searchBatch(index: Index, queries: Float32Array, dim: number, k: number, threads = 0): Neighbours {
  const n = queries.length / dim;
  const kk = Math.max(1, Math.min(k, index.size()));
  if (n === 1) {
    const m = index.search(queries, kk, threads);
    return { keys: m.keys, sims: m.distances.map((d) => 1 - d), counts: BigUint64Array.of(BigInt(m.keys.length)), k: kk };
  }
  const m = index.search(queries, kk, threads) as unknown as { keys: BigUint64Array; distances: Float32Array; counts: BigUint64Array; k: number };
  return { keys: m.keys, sims: m.distances.map((d) => 1 - d), counts: m.counts, k: m.k };
}

// ---- saved index: `embeddings/<model>/image.usearch` + a small sidecar saying what it covers ----

/**
 * `digest`: rowsDigest() of the rows the index was built from (older indexes lack it and count as stale where
 * it is checked). `recall`: the recall gate's measurement (ann-recall.ts); absent until search.index measures it.
 */
export interface IndexMeta { rows: number; dim: number; model: string; options: Required<AnnOptions>; builtAt: string; digest?: string; recall?: RecallMeasure }

/** Rows sampled by rowsDigest besides the last one. */
const DIGEST_SAMPLES = 64;

/**
 * A digest of `rows` rows of `src`: 64 rows spread evenly plus the last one. A project's matrix only grows
 * (rows past the committed count are truncated and written again), so a change to the rows an index covers
 * rewrites its tail, which the last row catches; the spread rows catch a matrix replaced wholesale.
 */
export function rowsDigest(src: RowSource, rows = src.rows): string {
  const hash = createHash('sha256');
  hash.update(`${rows}x${src.dim}`);
  if (rows > 0) {
    const step = Math.max(1, Math.floor(rows / DIGEST_SAMPLES));
    for (let r = 0; r < rows; r += step) hash.update(src.read(r, 1));
    hash.update(src.read(rows - 1, 1));
  }
  return hash.digest('hex');
}

export type IndexState = 'current' | 'stale' | 'missing';

/** Whether the saved index at `file` was built from exactly the first `rows` rows of `src` as they are now. */
export function indexState(file: string, src: RowSource, rows = src.rows): IndexState {
  const meta = readIndexMeta(file);
  if (!meta) return 'missing';
  return meta.rows === rows && meta.dim === src.dim && meta.digest !== undefined && meta.digest === rowsDigest(src, rows) ? 'current' : 'stale';
}

export function saveIndex(index: Index, file: string, meta: IndexMeta): void {
  const tmp = `${file}.tmp`;
  index.save(tmp);
  renameSync(tmp, file);
  saveIndexMeta(file, meta);
}

/** Rewrites the sidecar of the index at `file` (atomically: search reads it from other processes). */
export function saveIndexMeta(file: string, meta: IndexMeta): void {
  saveSidecar(file, meta);
}

export function readIndexMeta(file: string): IndexMeta | null {
  return readSidecar<IndexMeta>(file);
}

/** Writes `<file>.json` through a temp name and a rename: search reads sidecars from other processes. */
export function saveSidecar(file: string, meta: object): void {
  writeFileSync(`${file}.json.tmp`, JSON.stringify(meta));
  renameSync(`${file}.json.tmp`, `${file}.json`);
}

/** The sidecar of `file`, or null when either is missing or the sidecar does not parse. */
export function readSidecar<T>(file: string): T | null {
  if (!existsSync(file) || !existsSync(`${file}.json`)) return null;
  try {
    return JSON.parse(readFileSync(`${file}.json`, 'utf8')) as T;
  } catch {
    return null;
  }
}

/**
 * Loads a saved index when it exists and covers exactly `rows` rows (else it is stale: null); with `src`,
 * also only when it was built from those rows as they are now (indexState). `view` memory-maps it read-only
 * instead of reading it into memory: opens in milliseconds, for search.
 */
export function loadIndex(file: string, rows: number, dim: number, options: { view?: boolean; expansionSearch?: number; src?: RowSource } = {}): Index | null {
  const meta = readIndexMeta(file);
  if (!meta || meta.rows !== rows || meta.dim !== dim) return null;
  if (options.src && indexState(file, options.src, rows) !== 'current') return null;
  const index = createIndex(dim, { ...meta.options, expansionSearch: Math.max(meta.options.expansionSearch, options.expansionSearch ?? 0) });
  if (options.view) index.view(file);
  else index.load(file);
  return index.size() === rows ? index : null;
}

export function removeIndex(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.json`, { force: true });
}
