// A signal's sorted copy (removed-sets.ts) on disk, so a reopened project counts threshold rules from it at
// once instead of by SQL while ~1 s of rows (1M items) are read again. One file per signal in the project
// folder: a header naming the signal and its change_versions number, then the values and ids as raw typed
// arrays (no parsing). A file is only ever a cache: anything unexpected in it (another version, a short or
// corrupt file, another signal) is a miss, and the caller reads SQL.
// The arrays are checked in blocks (1,024 items by default: a SHA-256 each, listed in the header with each block's first
// value), so a count reads and checks only the blocks it touches: a threshold rule's count one block of values
// (found from the first values), its removed ids the blocks of its range; the file stays open while the copy is
// kept. Reading and checking a 1M-item copy whole cost ~40–60 ms of CPU on the bench VM (fresh pages and the
// hash), which a first recount used to wait for; read in the background instead, it slowed each interaction
// meanwhile ~1 ms (a block's read and hash between two awaits) for the first second after opening.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database';
import { headerEnd, PREFIX, writeCacheFile } from './cache-file';

/**
 * A signal's values in ascending order with the item each belongs to (ties in item order). A copy opened from its
 * file fills its arrays block by block: `have` reads and checks the blocks of [from, to) first (false: the file is
 * damaged, and the copy must not be used), `narrow` says which block a threshold falls in.
 */
export interface SignalOrder {
  values: Float64Array;
  ids: Int32Array;
  have?(part: 'values' | 'ids', from: number, to: number): boolean;
  narrow?(t: number, strict: boolean): [number, number];
}

const MAGIC = 'WNSORT02';
/**
 * Items per checked block when writing: 8 KB of values, 4 KB of ids. With 8,192-item blocks, dragging a threshold
 * read and hashed a new 64 KB block at most steps (~0.4 ms a step at 1M items, 2.3× the 1k project's recount).
 * WINNOW_FILTER_BLOCK sets it (tests make many blocks of a few hundred items); a file says its own.
 */
const blockSize = () => Math.max(1, Math.min(2 ** 20, Math.floor(Number(process.env.WINNOW_FILTER_BLOCK)) || 1024));
const HASH = 32;

/** `meta`: SHA-256 of the block table (each block's first value, then the values' and the ids' block hashes). */
interface Header { name: string; version: number; count: number; block: number; meta: string }

/** The folder of sorted copies, or null for a database without a file (in memory). */
export function sortedDir(db: Db): string | null {
  return db.memory || !db.name ? null : path.join(path.dirname(db.name), 'filter-cache');
}

const SUFFIX = '.sorted';

/** Signal names allow ':' (not in Windows file names): every character outside [A-Za-z0-9_.-] is escaped. */
const fileOf = (dir: string, name: string) => path.join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}${SUFFIX}`);

/** The signal a copy's file name stands for (fileOf backwards), or null for another file. */
export function signalOfFile(file: string): string | null {
  if (!file.endsWith(SUFFIX)) return null;
  try {
    return decodeURIComponent(file.slice(0, -SUFFIX.length));
  } catch {
    return null;
  }
}

const bytesOf = (a: Float64Array | Int32Array, from = 0, to = a.length) => new Uint8Array(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, (to - from) * a.BYTES_PER_ELEMENT);
const sha = (...parts: Uint8Array[]) => {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest();
};

/** The size and modification time of the copy's file, or null when there is none. */
export function sortedFileStat(dir: string, name: string): { bytes: number; mtimeMs: number } | null {
  try {
    const s = statSync(fileOf(dir, name));
    return { bytes: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

const blocks = (count: number, block: number) => Math.ceil(count / block);

/** A copy opened from its file: arrays sized at once (untouched pages cost nothing), blocks read and checked on demand. */
export class SortedCopy implements SignalOrder {
  readonly values: Float64Array;
  readonly ids: Int32Array;
  /** Per block: bit 1 its values are read and checked, bit 2 its ids. */
  private readonly loaded: Uint8Array;
  private left: number;
  private damaged = false;

  constructor(private fd: number | null, private readonly at: number, private readonly block: number, private readonly fences: Float64Array, private readonly checks: Uint8Array, count: number) {
    this.values = new Float64Array(count);
    this.ids = new Int32Array(count);
    this.loaded = new Uint8Array(fences.length);
    this.left = 2 * fences.length;
  }

  /** Whether a block was found damaged (the copy must not be used). */
  get broken(): boolean {
    return this.damaged;
  }

  /** Whether its file is open (blocks left to read, none damaged). */
  get open(): boolean {
    return this.fd !== null;
  }

  /** Closes the file; blocks not read yet are unavailable from then on (`have` answers false). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  have(part: 'values' | 'ids', from: number, to: number): boolean {
    to = Math.min(to, this.values.length);
    if (to <= from) return !this.damaged;
    const bit = part === 'values' ? 1 : 2;
    const last = Math.ceil(to / this.block);
    for (let b = Math.floor(from / this.block); b < last; b++) {
      if (this.loaded[b] & bit) continue;
      // A run of blocks not read yet in one read (a range's ids span hundreds of blocks), each then checked.
      let end = b + 1;
      while (end < last && !(this.loaded[end] & bit)) end++;
      if (!this.load(b, end, bit)) return false;
      b = end - 1;
    }
    return true;
  }

  /** The positions [lo, hi) where the first value ≥ t (`strict`: > t) lies, from the blocks' first values (at most a block). */
  narrow(t: number, strict: boolean): [number, number] {
    // k: how many blocks start before the answer; it is then in block k - 1 (or at k * block, the next block's start).
    let lo = 0;
    let hi = this.fences.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? this.fences[mid] <= t : this.fences[mid] < t) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? [0, 0] : [(lo - 1) * this.block, Math.min(lo * this.block, this.values.length)];
  }

  /** Reads every block not read yet (false: damaged), and closes the file. */
  loadAll(): boolean {
    const ok = this.have('values', 0, this.values.length) && this.have('ids', 0, this.ids.length);
    this.close();
    return ok;
  }

  /** Reads blocks [b, end) of one array and checks each. */
  private load(b: number, end: number, bit: 1 | 2): boolean {
    if (this.damaged || this.fd === null) return false;
    const count = this.values.length;
    const [from, to] = [b * this.block, Math.min(end * this.block, count)];
    const array = bit === 1 ? this.values : this.ids;
    const target = bytesOf(array, from, to);
    const position = this.at + (bit === 1 ? 0 : count * 8) + from * array.BYTES_PER_ELEMENT;
    let read: boolean;
    try {
      read = readFully(this.fd, target, position);
    } catch {
      read = false;
    }
    for (let k = b; k < end && read; k++) {
      const at = (bit === 1 ? 0 : this.fences.length) + k;
      const [start, stop] = [k * this.block, Math.min((k + 1) * this.block, count)];
      // A block's first value must also be the one the header promised (narrow relies on it).
      if (!sha(bytesOf(array, start, stop)).equals(this.checks.subarray(at * HASH, (at + 1) * HASH)) || (bit === 1 && this.values[start] !== this.fences[k])) break;
      this.loaded[k] |= bit;
      this.left--;
      if (k === end - 1) {
        if (this.left === 0) this.close();
        return true;
      }
    }
    this.damaged = true;
    this.close();
    return false;
  }
}

/** Fills `target` from `position` (false: the file ended first). */
function readFully(fd: number, target: Uint8Array, position: number): boolean {
  for (let got = 0; got < target.length;) {
    const n = readSync(fd, target, got, target.length - got, position + got);
    if (n === 0) return false;
    got += n;
  }
  return true;
}

function readAt(fd: number, length: number, position: number): Buffer | null {
  const buf = Buffer.allocUnsafe(length);
  return readFully(fd, buf, position) ? buf : null;
}

/**
 * Opens the copy of `name` at change version `version`: reads its header and block table, and checks the first
 * and last blocks of both arrays (a copy of one block is read whole here). Null when the file is missing,
 * stale, damaged there or over `maxBytes`. The caller reads the rest with `have` or `loadAll`, and closes it.
 */
export function openSortedFile(dir: string, name: string, version: number, maxBytes: number): SortedCopy | null {
  let fd: number;
  try {
    fd = openSync(fileOf(dir, name), 'r');
  } catch {
    return null;
  }
  let copy: SortedCopy | null = null;
  try {
    const read = readHeader(fd);
    if (!read) return null;
    const { header, end, size } = read;
    const { count } = header;
    const { block } = header;
    if (header.name !== name || header.version !== version || !Number.isSafeInteger(count) || count < 0 || !Number.isInteger(block) || block < 1) return null;
    const nb = blocks(count, block);
    const at = end + nb * (8 + 2 * HASH);
    if (count * 12 > maxBytes || size !== at + count * 12) return null;
    const table = readAt(fd, at - end, end);
    if (!table || sha(table).toString('base64') !== header.meta) return null;
    // The table's own buffer may start anywhere: the first values are copied out to an aligned array.
    const fences = new Float64Array(nb);
    bytesOf(fences).set(table.subarray(0, nb * 8));
    copy = new SortedCopy(fd, at, block, fences, table.subarray(nb * 8), count);
    const last = Math.max(0, count - 1);
    return copy.have('values', 0, 1) && copy.have('ids', 0, 1) && copy.have('values', last, count) && copy.have('ids', last, count) ? copy : null;
  } catch {
    return null;
  } finally {
    // Open only while a copy may still read from it (the copy closes it once read whole or damaged).
    if (copy === null) closeSync(fd);
  }
}

/** The header of an open copy's file, where it ends and the file's size (null: not a copy's file). */
function readHeader(fd: number): { header: Header; end: number; size: number } | null {
  const size = fstatSync(fd).size;
  const prefix = size >= PREFIX ? readAt(fd, PREFIX, 0) : null;
  const end = prefix && headerEnd(prefix, MAGIC, size, 8);
  return end ? { header: JSON.parse(readAt(fd, end - PREFIX, PREFIX)!.toString('utf8')) as Header, end, size } : null;
}

/**
 * The change version the copy of `name` on disk was written at (null: none, or unreadable), so a copy written a few
 * versions ago is opened at its version and caught up from signal_log (removed-sets.ts) instead of being read again.
 */
export function sortedFileVersion(dir: string, name: string): number | null {
  let fd: number;
  try {
    fd = openSync(fileOf(dir, name), 'r');
  } catch {
    return null;
  }
  try {
    const header = readHeader(fd)?.header;
    return header?.name === name && Number.isSafeInteger(header.version) ? header.version : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The copy of `name` at `version` read whole, or null when the file is missing, stale, damaged or over `maxBytes`. */
export function loadSortedFile(dir: string, name: string, version: number, maxBytes: number): SignalOrder | null {
  const copy = openSortedFile(dir, name, version, maxBytes);
  return copy?.loadAll() ? { values: copy.values, ids: copy.ids } : null;
}

/** Writes the copy of `name` at `version` (best effort: cache-file.ts). */
export function saveSortedFile(dir: string, name: string, version: number, order: SignalOrder): void {
  const count = order.values.length;
  const block = blockSize();
  const nb = blocks(count, block);
  const table = Buffer.alloc(nb * (8 + 2 * HASH));
  for (let b = 0; b < nb; b++) {
    const [from, to] = [b * block, Math.min((b + 1) * block, count)];
    table.writeDoubleLE(order.values[from], b * 8);
    table.set(sha(bytesOf(order.values, from, to)), nb * 8 + b * HASH);
    table.set(sha(bytesOf(order.ids, from, to)), nb * (8 + HASH) + b * HASH);
  }
  const header: Header = { name, version, count, block, meta: sha(table).toString('base64') };
  writeCacheFile(fileOf(dir, name), MAGIC, header, 8, [table, bytesOf(order.values), bytesOf(order.ids)]);
}
