// The int8 copy of quantized-scan.ts saved beside a model's image matrix (`embeddings/<model>/image.i8`, one
// signed byte per value, a quarter of the float32 matrix), so that exact search on a large project keeps only
// the codes in memory, never the float32 matrix: the codes are scanned natively, the candidates are read row
// by row from the embeddings file and re-scored in float32, and quantized-scan.ts's bound proves that no row
// left out can enter the top k (else the pool grows, and last of all the file is scanned whole). The answer is
// exact, so no recall gate applies. The sidecar holds what the bound needs (every dimension's largest |x|,
// from which the steps follow, and the largest norms), the digest of the rows it was built from (staleness, as
// the graph index) and a digest of the codes, checked on every load: the bound holds only for the codes of
// these rows, so a copy whose bytes changed is removed, never scanned. The rows re-scored are checked against
// their codes as well, which catches a copy built from other rows under a forged sidecar.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { residentBudget } from '../store/resident-matrix';
import { CHUNK_ROWS, type IndexState, readSidecar, type RowSource, rowsDigest, saveSidecar, tick } from './ann-index';
import type { TopK } from './exact-search';
import type { ScanMeasure } from './scan-cost';
import { boundedTopK, codeParts, Encoder, partRowsFor, type Quantized, type QuantizedTopK, rowCodes, widenLargest } from './quantized-scan';
import { indexFile } from './semantic-index';

/**
 * `largest`: every dimension's largest |x| (the steps are largest / levels); `codes`: sha256 of the file's
 * bytes. Copies of an earlier format (one global scale) have another `kind` and count as stale.
 */
export interface QuantizedMeta {
  kind: 'i8-dims';
  rows: number;
  dim: number;
  model: string;
  largest: number[];
  maxCodeNorm: number;
  maxErrNorm: number;
  maxRowNorm: number;
  builtAt: string;
  digest: string;
  codes: string;
  /** Its exact search timed by the search.index job (scan-cost.ts): within the budget, no ANN graph is built. */
  scan?: ScanMeasure;
}

/** The sidecar of the rows no copy can be made of (a value not finite). */
interface NoCopyMeta { kind: 'none'; rows: number; dim: number; model: string; builtAt: string; digest: string }

export function quantizedFile(project: Project, set: EmbeddingSet): string {
  return path.join(path.dirname(indexFile(project, set)), 'image.i8');
}

/** Rows per streamed block of the build. */
const BLOCK_ROWS = CHUNK_ROWS * 8;

/**
 * Writes the int8 copy of rows [0, src.rows) and its sidecar (both through a temp name and a rename: search
 * reads them from other processes), in two streamed passes: every dimension's largest |x|, then the codes and
 * the bound's norms. Null, and nothing written, when a value is not finite (search scans float32 then).
 */
export async function buildQuantized(src: RowSource, file: string, model: string, signal?: AbortSignal): Promise<QuantizedMeta | null> {
  const { dim, rows } = src;
  const largest = new Float64Array(dim);
  for (let first = 0; first < rows; first += BLOCK_ROWS) {
    signal?.throwIfAborted();
    widenLargest(src.read(first, Math.min(BLOCK_ROWS, rows - first)), dim, largest);
    await tick();
  }
  const enc = new Encoder(dim, largest);
  const hash = createHash('sha256');
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = new Int8Array(BLOCK_ROWS * dim);
    for (let first = 0; first < rows && enc.finite; first += BLOCK_ROWS) {
      signal?.throwIfAborted();
      const chunk = src.read(first, Math.min(BLOCK_ROWS, rows - first));
      const out = bytes.subarray(0, chunk.length);
      enc.encode(chunk, out);
      hash.update(out);
      writeSync(fd, out, 0, out.length, first * dim);
      await tick();
    }
  } finally {
    closeSync(fd);
  }
  if (!enc.finite) {
    rmSync(tmp, { force: true });
    // An empty copy and a sidecar saying none can be made of these rows: the copy counts as current (so searches do
    // not start the job again on every slow scan) and never loads (search scans float32).
    writeFileSync(file, '');
    const none: NoCopyMeta = { kind: 'none', rows, dim, model, builtAt: new Date().toISOString(), digest: rowsDigest(src) };
    saveSidecar(file, none);
    return null;
  }
  renameSync(tmp, file);
  const b = enc.bounds();
  const meta: QuantizedMeta = {
    kind: 'i8-dims', rows, dim, model, largest: Array.from(largest), maxCodeNorm: b.maxCodeNorm, maxErrNorm: b.maxErrNorm, maxRowNorm: b.maxRowNorm,
    builtAt: new Date().toISOString(), digest: rowsDigest(src), codes: hash.digest('hex'),
  };
  saveSidecar(file, meta);
  return meta;
}

/**
 * The sidecar: a copy's, or the record that none can be made of the rows; null when it is missing, unreadable, of
 * an earlier format, or the copy's size is not what it says (a truncated write).
 */
function readMeta(file: string): QuantizedMeta | NoCopyMeta | null {
  const meta = readSidecar<QuantizedMeta | NoCopyMeta>(file);
  if (meta?.kind === 'none') return meta;
  return meta?.kind === 'i8-dims' && meta.largest?.length === meta.dim && statSync(file).size === meta.rows * meta.dim ? meta : null;
}

/** Whether the copy at `file` was built (or found impossible: a value not finite) from exactly the first `rows` rows of `src` as they are now. */
export function quantizedState(file: string, src: RowSource, rows = src.rows): IndexState {
  const meta = readMeta(file);
  if (!meta) return existsSync(file) ? 'stale' : 'missing';
  return meta.rows === rows && meta.dim === src.dim && meta.digest === rowsDigest(src, rows) ? 'current' : 'stale';
}

/**
 * The copy's timed search (scan-cost.ts ScanMeasure); 'none' where no copy can be made of the rows (nothing to
 * time: search scans float32); undefined when missing or not yet timed.
 */
export function copyScan(file: string): ScanMeasure | 'none' | undefined {
  const meta = readMeta(file);
  return meta?.kind === 'none' ? 'none' : meta?.scan;
}

/** Records the copy's timed search in its sidecar (the copy itself unchanged). */
export function saveCopyScan(file: string, scan: ScanMeasure): void {
  const meta = readMeta(file);
  if (meta?.kind === 'i8-dims') saveSidecar(file, { ...meta, scan });
}

export function removeQuantized(file: string): void {
  rmSync(file, { force: true });
  rmSync(`${file}.json`, { force: true });
  resident.delete(file);
}

/** A loaded copy: its codes and bound, and the encoder that checks re-scored rows against their codes. */
export interface SavedCopy { file: string; qz: Quantized; encoder: Encoder }
interface Resident { key: string; copy: SavedCopy }
/** Loaded copies by file, valid while the file's size and mtime are unchanged. */
const resident = new Map<string, Resident>();

/** Whether a copy of `rows` × `dim` fits the resident budget (WINNOW_RESIDENT_MB): its codes are kept in memory. */
export function quantizedFits(rows: number, dim: number): boolean {
  return rows * dim <= residentBudget();
}

/**
 * The copy at `file` in memory (read once, kept while unchanged), or null when it is missing, does not cover
 * `rows` × `dim`, or is larger than the resident budget. A copy whose bytes do not match the digest of its codes
 * is removed (the search.index job builds it again).
 */
export function loadQuantized(file: string, rows: number, dim: number): SavedCopy | null {
  const meta = readMeta(file);
  if (meta?.kind !== 'i8-dims' || meta.rows !== rows || meta.dim !== dim || !quantizedFits(rows, dim)) return null;
  const st = statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = resident.get(file);
  if (hit?.key === key) return hit.copy;
  const partRows = partRowsFor();
  const parts = codeParts(rows, dim, partRows);
  const hash = createHash('sha256');
  const fd = openSync(file, 'r');
  try {
    let position = 0;
    for (const codes of parts) {
      for (let at = 0; at < codes.length;) {
        const n = readSync(fd, codes, at, Math.min(codes.length - at, 2 ** 26), position);
        if (n <= 0) return null;
        hash.update(codes.subarray(at, at + n));
        at += n;
        position += n;
      }
    }
  } finally {
    closeSync(fd);
  }
  if (hash.digest('hex') !== meta.codes) {
    console.warn(`${file}: the int8 copy does not match its digest; removed (search.index builds it again)`);
    removeQuantized(file);
    return null;
  }
  const encoder = new Encoder(dim, Float64Array.from(meta.largest));
  const qz: Quantized = { dim, rows, parts, partRows, step: encoder.step, levels: encoder.levels, maxCodeNorm: meta.maxCodeNorm, maxErrNorm: meta.maxErrNorm, maxRowNorm: meta.maxRowNorm };
  const copy = { file, qz, encoder };
  resident.set(file, { key, copy });
  return copy;
}

/** The copy's codes of a row re-scored differ from the row's own: the copy is not of these rows. */
export class CopyMismatch extends Error {}

/**
 * The exact float32 top k of `src` (the rows the copy was built from), the copy choosing the rows read and
 * re-scored; `full` scans every row. Throws CopyMismatch (the copy removed) when a re-scored row's codes are
 * not its own.
 */
export function savedCopyTopK(copy: SavedCopy, src: RowSource, query: Float32Array, k: number, full: () => TopK): QuantizedTopK {
  const { qz, encoder } = copy;
  return boundedTopK(qz, query, k, (row) => {
    const x = src.read(row, 1);
    if (!encoder.matches(x, rowCodes(qz, row))) {
      removeQuantized(copy.file);
      throw new CopyMismatch(`${copy.file}: row ${row}'s codes are not those of the row; the copy was removed`);
    }
    return x;
  }, full);
}

/** Forgets the loaded copies (tests). */
export function dropQuantized(): void {
  resident.clear();
}
