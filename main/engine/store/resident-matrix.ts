// Matrices kept in memory between queries, so an interactive search does not re-read hundreds of MB from
// disk each time. Bounded: an entry is dropped (least recently used first) when the total passes the
// budget, and a matrix larger than the budget is never cached (callers stream it instead). An entry is
// valid while the file's size and mtime are unchanged (an embed run appending rows invalidates it).
// A matrix becomes resident on its second use: filling hundreds of MB of fresh memory costs more than
// streaming the file once through a reused buffer, so a one-off search (the CLI) never pays for the copy.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';

interface Entry { size: number; mtimeMs: number; rows: number; data: Float32Array }

const entries = new Map<string, Entry>();
/** Matrices used once (file → size:mtime:rows): the next use makes them resident. */
const seen = new Map<string, string>();
const SEEN_LIMIT = 64;

/** Bytes of matrices kept resident: WINNOW_RESIDENT_MB, else an eighth of this machine's memory (at least 256 MB). */
export function residentBudget(): number {
  const mb = Number(process.env.WINNOW_RESIDENT_MB);
  if (Number.isFinite(mb) && mb >= 0 && process.env.WINNOW_RESIDENT_MB !== '') return mb * 2 ** 20;
  return Math.max(256 * 2 ** 20, Math.floor(os.totalmem() / 8));
}

function residentBytes(): number {
  let total = 0;
  for (const e of entries.values()) total += e.data.byteLength;
  return total;
}

/**
 * The first `rows` rows of `file` (row-major float32, `dim` wide) as one Float32Array that owns its
 * buffer, from memory when the file has not changed since it was read; null when it would not fit the
 * budget, or on the first use of this version of the file (`always` loads it then too): stream it instead.
 */
export function residentRows(file: string, dim: number, rows: number, { always = false } = {}): Float32Array | null {
  const bytes = rows * dim * 4;
  const budget = residentBudget();
  if (bytes > budget) return null;
  const st = statSync(file);
  const hit = entries.get(file);
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.rows === rows) {
    entries.delete(file); // re-insert: Map order is the LRU order
    entries.set(file, hit);
    return hit.data;
  }
  entries.delete(file);
  const version = `${st.size}:${st.mtimeMs}:${rows}`;
  if (!always && seen.get(file) !== version) {
    seen.delete(file);
    seen.set(file, version);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.keys().next().value as string);
    return null;
  }
  seen.delete(file);
  while (entries.size > 0 && residentBytes() + bytes > budget) entries.delete(entries.keys().next().value as string);
  const data = readRows(file, bytes);
  entries.set(file, { size: st.size, mtimeMs: st.mtimeMs, rows, data });
  return data;
}

/** Forgets every resident matrix (a project closed, or a test wants a cold start). */
export function dropResident(file?: string): void {
  if (file === undefined) {
    entries.clear();
    seen.clear();
  } else {
    entries.delete(file);
    seen.delete(file);
  }
}

let scratch: Float32Array | null = null;

/**
 * Rows per streamed chunk: about 4 MB. Fresh memory is costly to fault in (a 16 MB first chunk took
 * 64 ms to fill on a loaded VM, a 2 MB one 9 ms) and the native scan gains nothing from larger calls.
 */
export function scanChunkRows(dim: number): number {
  return Math.max(256, Math.floor(2 ** 22 / (dim * 4)));
}

/**
 * The first `rows` rows of `file` as a row source for chunked scans: each read of a full chunk
 * (scanChunkRows rows) lands in one reused buffer that the caller must not keep; other
 * reads get arrays of their own. Every array owns its buffer (what the native scan needs).
 */
export function streamedRows(file: string, dim: number, rows: number): { dim: number; rows: number; read(row: number, count?: number): Float32Array; close(): void } {
  const fd = openSync(file, 'r');
  const chunk = scanChunkRows(dim);
  return {
    dim,
    rows,
    read(row, count = 1) {
      const data = count === chunk ? (scratch?.length === count * dim ? scratch : (scratch = new Float32Array(count * dim))) : new Float32Array(count * dim);
      const view = new Uint8Array(data.buffer);
      for (let at = 0; at < view.length;) {
        const n = readSync(fd, view, at, view.length - at, row * dim * 4 + at);
        if (n <= 0) throw new Error(`matrix ${file}: rows ${row}..${row + count} are past its end`);
        at += n;
      }
      return data;
    },
    close: () => closeSync(fd),
  };
}

function readRows(file: string, bytes: number): Float32Array {
  const out = new Float32Array(bytes / 4);
  const view = new Uint8Array(out.buffer);
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size < bytes) throw new Error(`matrix ${file}: shorter than ${bytes} bytes`);
    // One readSync is capped near 2 GB; read in 256 MB steps.
    for (let at = 0; at < bytes;) {
      const n = readSync(fd, view, at, Math.min(bytes - at, 2 ** 28), at);
      if (n <= 0) throw new Error(`matrix ${file}: short read at byte ${at}`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}
