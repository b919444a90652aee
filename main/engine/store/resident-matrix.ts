// Matrices kept in memory between queries, so an interactive search does not re-read hundreds of MB from
// disk each time. Bounded: an entry is dropped (least recently used first) when the total passes the
// budget, and a matrix larger than the budget is never cached (callers stream it instead). An entry is
// valid while the file's size and mtime are unchanged (an embed run appending rows invalidates it).
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import os from 'node:os';

interface Entry { size: number; mtimeMs: number; rows: number; data: Float32Array }

const entries = new Map<string, Entry>();

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
 * buffer, from memory when the file has not changed since it was read; null when it would not fit the budget.
 */
export function residentRows(file: string, dim: number, rows: number): Float32Array | null {
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
  while (entries.size > 0 && residentBytes() + bytes > budget) entries.delete(entries.keys().next().value as string);
  const data = readRows(file, bytes);
  entries.set(file, { size: st.size, mtimeMs: st.mtimeMs, rows, data });
  return data;
}

/** Forgets every resident matrix (a project closed, or a test wants a cold start). */
export function dropResident(file?: string): void {
  if (file === undefined) entries.clear();
  else entries.delete(file);
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
