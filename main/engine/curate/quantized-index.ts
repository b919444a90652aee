// A scalar-quantized copy of a model's image matrix (`embeddings/<model>/image.i8`: one signed byte per value,
// a quarter of the float32 matrix) that search scans natively to propose candidates, which are then scored
// again from the float32 rows (ann-recall.ts rescoredTopK). Where a graph index misses, it does not: text
// queries sit far from every image vector, so their true top 10 barely stands out from the bulk and a graph
// walk or a few partitions cannot reach it (1M × 128 bench: HNSW beam 2048 recall@10 0.69, k-means lists
// scanning 30% of rows 0.83), while the byte scan sees every row with a score error of ~1e-3 (recall@10 1.0
// from 2 candidates per hit). It stays linear in rows, but reads a quarter of the bytes of the exact scan and
// keeps a quarter of its memory resident. Search uses it only while it is current (the digest of the rows it
// was built from, as the graph index) and its measured recall passes the gate.
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import usearch from 'usearch';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { residentBudget } from '../store/resident-matrix';
import { CHUNK_ROWS, type IndexState, readSidecar, type RowSource, rowsDigest, saveSidecar, tick } from './ann-index';
import type { RecallMeasure } from './ann-recall';
import { indexFile } from './semantic-job';

/** `scale`: stored byte = round(value × scale), from the largest magnitude in the matrix (so none clips). */
export interface QuantizedMeta { kind: 'i8'; rows: number; dim: number; model: string; scale: number; builtAt: string; digest: string; recall?: RecallMeasure }

export function quantizedFile(project: Project, set: EmbeddingSet): string {
  return path.join(path.dirname(indexFile(project, set)), 'image.i8');
}

/** Largest |value| over the rows, streamed. */
async function maxMagnitude(src: RowSource, signal?: AbortSignal): Promise<number> {
  let max = 0;
  for (let first = 0; first < src.rows; first += CHUNK_ROWS * 8) {
    signal?.throwIfAborted();
    const chunk = src.read(first, Math.min(CHUNK_ROWS * 8, src.rows - first));
    for (let i = 0; i < chunk.length; i++) {
      const a = Math.abs(chunk[i]);
      if (a > max) max = a;
    }
    await tick();
  }
  return max;
}

/** Rounds `values × scale` into `out` (clamped to ±127). */
function quantizeInto(values: Float32Array, scale: number, out: Int8Array): Int8Array {
  for (let i = 0; i < values.length; i++) out[i] = Math.max(-127, Math.min(127, Math.round(values[i] * scale)));
  return out;
}

/**
 * Writes the quantized copy of rows [0, src.rows) and its sidecar (both through a temp name and a rename:
 * search reads them from other processes). Two streamed passes: the largest magnitude, then the bytes.
 */
export async function buildQuantized(src: RowSource, file: string, model: string, progress?: (done: number) => void, signal?: AbortSignal): Promise<QuantizedMeta> {
  const max = await maxMagnitude(src, signal);
  const scale = max > 0 ? 127 / max : 1;
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const step = CHUNK_ROWS * 8;
    const bytes = new Int8Array(step * src.dim);
    for (let first = 0; first < src.rows; first += step) {
      signal?.throwIfAborted();
      const chunk = src.read(first, Math.min(step, src.rows - first));
      const out = quantizeInto(chunk, scale, bytes.subarray(0, chunk.length));
      writeSync(fd, out, 0, out.length, first * src.dim);
      progress?.(first + chunk.length / src.dim);
      await tick();
    }
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const meta: QuantizedMeta = { kind: 'i8', rows: src.rows, dim: src.dim, model, scale, builtAt: new Date().toISOString(), digest: rowsDigest(src) };
  saveSidecar(file, meta);
  return meta;
}

export function saveQuantizedMeta(file: string, meta: QuantizedMeta): void {
  saveSidecar(file, meta);
}

/** The sidecar, or null when it is missing, unreadable or the copy's size is not what it says (a truncated write). */
export function readQuantizedMeta(file: string): QuantizedMeta | null {
  const meta = readSidecar<QuantizedMeta>(file);
  return meta?.kind === 'i8' && statSync(file).size === meta.rows * meta.dim ? meta : null;
}

/** Whether the copy at `file` was built from exactly the first `rows` rows of `src` as they are now. */
export function quantizedState(file: string, src: RowSource, rows = src.rows): IndexState {
  const meta = readQuantizedMeta(file);
  if (!meta) return existsSync(file) ? 'stale' : 'missing';
  return meta.rows === rows && meta.dim === src.dim && meta.digest === rowsDigest(src, rows) ? 'current' : 'stale';
}

export function removeQuantized(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.json`, { force: true });
  resident.delete(file);
}

interface Resident { key: string; bytes: Int8Array }
/** Loaded copies by file, valid while the file's size and mtime are unchanged. */
const resident = new Map<string, Resident>();

/** A loaded quantized copy: proposes candidate rows for a query by a native scan of its bytes. */
export interface QuantizedIndex { rows: number; dim: number; scale: number; candidates(query: Float32Array, count: number): Int32Array }

/** Whether a quantized copy of `rows` × `dim` fits the resident budget (WINNOW_RESIDENT_MB): it is never streamed per query. */
export function quantizedFits(rows: number, dim: number): boolean {
  return rows * dim <= residentBudget();
}

/**
 * The copy at `file` in memory (read once, kept while unchanged), or null when it is missing, does not cover
 * `rows` × `dim`, or is larger than the resident budget (WINNOW_RESIDENT_MB: it must not be streamed per query).
 */
export function loadQuantized(file: string, rows: number, dim: number): QuantizedIndex | null {
  const meta = readQuantizedMeta(file);
  if (!meta || meta.rows !== rows || meta.dim !== dim || !quantizedFits(rows, dim)) return null;
  const st = statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  let hit = resident.get(file);
  if (hit?.key !== key) {
    // Its own buffer from offset 0: usearch's exactSearch reads a typed array's buffer from its start.
    const bytes = new Int8Array(rows * dim);
    const fd = openSync(file, 'r');
    try {
      for (let at = 0; at < bytes.length;) {
        const n = readSync(fd, bytes, at, Math.min(bytes.length - at, 2 ** 28), at);
        if (n <= 0) return null;
        at += n;
      }
    } finally {
      closeSync(fd);
    }
    hit = { key, bytes };
    resident.set(file, hit);
  }
  const data = hit.bytes;
  return {
    rows, dim, scale: meta.scale,
    candidates(query, count) {
      const n = Math.min(count, rows);
      if (n <= 0) return new Int32Array(0);
      // Ranking is unchanged by the query's own scale: use the byte range fully.
      let max = 0;
      for (const x of query) max = Math.max(max, Math.abs(x));
      const q = quantizeInto(query, max > 0 ? 127 / max : 1, new Int8Array(dim));
      const m = usearch.exactSearch(data, q, dim, n, usearch.MetricKind.IP, 0) as { keys: BigUint64Array };
      return Int32Array.from(m.keys, Number);
    },
  };
}

/** Forgets the loaded copies (tests). */
export function dropQuantized(): void {
  resident.clear();
}
