// A signal's sorted copy (removed-sets.ts) on disk, so a reopened project counts threshold rules from it at
// once instead of by SQL while ~1 s of rows (1M items) are read again. One file per signal in the project
// folder: a header naming the signal and its change_versions number, then the values and ids as raw typed
// arrays (no parsing). A file is only ever a cache: anything unexpected in it (another version, a short or
// corrupt file, another signal) is a miss, and the caller reads SQL.
// The arrays are checked in blocks (1,024 items by default: a SHA-256 each, listed in the header with each block's first
// value), so a count reads and checks only what it touches: a threshold rule's count one block of values (found
// from the first values), its removed ids a prefix bitset or two and the blocks between them and the range's ends
// (each bitset has its SHA-256 in the table too); the file stays open while the copy is kept. Reading and checking
// a 1M-item copy whole cost ~40–60 ms of CPU on the bench VM (fresh pages and the hash), which a first recount used
// to wait for; read in the background instead, it slowed each interaction meanwhile ~1 ms (a block's read and hash
// between two awaits) for the first second after opening.
import crypto, { createHash } from 'node:crypto';
import { closeSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database';
import { bytesOf, readFully, readHeader, writeCacheFile } from './cache-file';
import type { Fix, StreamedSet } from './chunked-tally';
import { clearIds, maxId, setIds, wordsFor } from './id-words';

/**
 * A signal's values in ascending order with the item each belongs to (ties in item order). A copy opened from its
 * file (SortedCopy) fills these arrays only when read whole (`readWhole`); counts go through `positionOf`,
 * `valueOf` and `rangeWords`, which read and check the blocks they need.
 */
export interface SignalOrder {
  values: Float64Array;
  ids: Int32Array;
}

const MAGIC = 'WNSORT03';
/**
 * Items per checked block when writing: 8 KB of values, 4 KB of ids. With 8,192-item blocks, dragging a threshold
 * read and hashed a new 64 KB block at most steps (~0.4 ms a step at 1M items, 2.3× the 1k project's recount).
 * WINNOW_FILTER_BLOCK sets it (tests make many blocks of a few hundred items); a file says its own.
 */
const blockSize = () => Math.max(1, Math.min(2 ** 20, Math.floor(Number(process.env.WINNOW_FILTER_BLOCK)) || 1024));
/**
 * Prefix bitsets a file keeps (the ids of the first k·stride items as bits, and of all): a threshold rule's removed
 * ids are a prefix or suffix of the order, so its bitset is one of these (125 KB at 1M items, whatever the range)
 * corrected by the few thousand ids between its end and the nearest one, instead of up to 4 MB of ids read, checked
 * and set bit by bit (~40 ms of a first recount at 1M). 32 cost 33% more file at 1M items. WINNOW_FILTER_MARKS sets
 * it (0: none); a file says its own.
 */
const markWanted = () => {
  const n = Number(process.env.WINNOW_FILTER_MARKS);
  return process.env.WINNOW_FILTER_MARKS && Number.isInteger(n) && n >= 0 ? n : 32;
};
const HASH = 32;
/**
 * Blocks of each array kept after a count read them, in buffers reused from then on: a count and the evaluation after
 * it read one block once, and a range's ids pass through them. More cost more first reads: each new buffer is pages
 * touched for the first time (~60–200 µs per 4 KB read into one on the bench VM, against ~4 µs into a used one).
 */
const RING = 2;
/** Words of a prefix bitset read at a time when one is subtracted (one buffer for every copy, for the same reason). */
const SCRATCH_WORDS = 4096;
let scratch = new Uint32Array(0);
/** The first `n` words of the shared scratch buffer. */
const scratchOf = (n: number) => {
  if (scratch.length < n) scratch = new Uint32Array(Math.max(n, SCRATCH_WORDS));
  return scratch.subarray(0, n);
};

/**
 * `stride`: items between prefix bitsets (0: none); `words`: each one's length (the largest id's word + 1).
 * `meta`: SHA-256 of the layout fields and the block table (each block's first value, then the values', the ids'
 * and the prefix bitsets' hashes): a changed stride would move every bitset.
 */
interface Header { name: string; version: number; count: number; block: number; stride: number; words: number; meta: string }

const metaOf = (h: Omit<Header, 'meta'>, table: Uint8Array) => sha(Buffer.from(JSON.stringify([h.name, h.version, h.count, h.block, h.stride, h.words])), table).toString('base64');

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

/**
 * SHA-256 of the parts. One part goes through crypto.hash where Node has it (20.12+): a block check per drag step
 * cost ~0.1–0.3 ms more through a Hash object's JS layers while V8 had not optimized them.
 */
const sha = (...parts: Uint8Array[]): Buffer => {
  if (parts.length === 1 && oneShot) return oneShot('sha256', parts[0], 'buffer');
  const hash = createHash('sha256');
  for (const p of parts) hash.update(p);
  return hash.digest();
};
const oneShot = (crypto as { hash?: typeof crypto.hash }).hash;

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

/** The first index in [lo, hi) of ascending `values` whose value is ≥ t (`strict`: > t); hi when none is. */
export function firstAt(values: ArrayLike<number>, lo: number, hi: number, t: number, strict: boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? values[mid] <= t : values[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where a file's parts lie, from its header: values at `at`, then ids; the prefix bitsets just before the values. */
interface Shape { at: number; count: number; block: number; stride: number; words: number; marks: number }

/** How the ids of positions [0, at) are made as bits: from prefix bitset `m` (-1: none, the empty set at 0) at `pos`, and the ids between. */
interface Plan { m: number; pos: number; cost: number }

/**
 * A copy opened from its file. Counts read single blocks into a few reused buffers and the prefix bitsets into the
 * bitset they make, never into `values`/`ids`: at 1M items those are 12 MB of pages not touched yet, and on the bench
 * VM a fresh page costs ~10–50 µs, more than reading and hashing an 8 KB block (a drag step read one new block, into
 * two fresh pages: 0.3 of its 0.6 ms). `readWhole` fills the arrays (a catch-up merges into them).
 */
export class SortedCopy implements SignalOrder {
  /**
   * Allocated on first use (`readWhole`, a catch-up's merge), not at open: at 1M items 12 MB per signal of array
   * buffers that V8 counts against the old generation's limit as they are made, so making them at open started an
   * incremental mark whose finalizing landed in the first recount (7–12 ms at 1M), though no count reads them.
   */
  private arrays: { values: Float64Array; ids: Int32Array } | null = null;
  /** Per block: bit 1 its values are read into `values` and checked, bit 2 its ids into `ids`. */
  private readonly loaded: Uint8Array;
  private left: number;
  private damaged = false;
  /** Blocks read for counts, least recent first (at most RING of each part, their buffers reused). */
  private readonly recent: { bit: 1 | 2; b: number; array: Float64Array | Int32Array }[] = [];
  /** Bytes read from the file since it was opened (tests check that a range reads its prefix bitsets, not its ids). */
  bytesRead = 0;

  /** `version`: the change version the file was written at. */
  constructor(private fd: number | null, readonly version: number, private readonly shape: Shape, private readonly fences: Float64Array, private readonly checks: Uint8Array) {
    this.loaded = new Uint8Array(fences.length);
    this.left = 2 * fences.length;
  }

  get values(): Float64Array {
    return this.whole().values;
  }

  get ids(): Int32Array {
    return this.whole().ids;
  }

  /** Items in the copy (without allocating its arrays). */
  get count(): number {
    return this.shape.count;
  }

  private whole(): { values: Float64Array; ids: Int32Array } {
    return (this.arrays ??= { values: new Float64Array(this.shape.count), ids: new Int32Array(this.shape.count) });
  }

  /** Whether a block or prefix bitset was found damaged (the copy must not be used). */
  get broken(): boolean {
    return this.damaged;
  }

  /** Whether its file is open (blocks left to read, none damaged). */
  get open(): boolean {
    return this.fd !== null;
  }

  /** Closes the file; what was not read yet is unavailable from then on (the reads answer null or false). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** Reads every block into `values` and `ids`, checked (false: damaged or closed), and closes the file. */
  readWhole(): boolean {
    const n = this.shape.count;
    const ok = this.have('values', 0, n) && this.have('ids', 0, n);
    this.close();
    return ok;
  }

  /** Reads and checks the blocks of [from, to) of one array into it (false: damaged or closed). */
  have(part: 'values' | 'ids', from: number, to: number): boolean {
    to = Math.min(to, this.shape.count);
    if (to <= from) return !this.damaged;
    const bit = part === 'values' ? 1 : 2;
    const { block } = this.shape;
    const last = Math.ceil(to / block);
    for (let b = Math.floor(from / block); b < last; b++) {
      if (this.loaded[b] & bit) continue;
      // A run of blocks not read yet in one read, each then checked.
      let end = b + 1;
      while (end < last && !(this.loaded[end] & bit)) end++;
      if (!this.load(b, end, bit)) return false;
      b = end - 1;
    }
    return true;
  }

  /** Reads and checks the first and last blocks of both arrays (false: damaged). */
  ends(): boolean {
    const last = this.fences.length - 1;
    return last < 0 || [1, 2].every((bit) => this.block(bit as 1 | 2, 0) && this.block(bit as 1 | 2, last));
  }

  /** The position of the first value ≥ t (`strict`: > t), reading one block (null: damaged or closed). */
  position(t: number, strict: boolean): number | null {
    // k: how many blocks start before the answer (their first values, from the checked table); it is then in block k - 1, or at k * block.
    const k = firstAt(this.fences, 0, this.fences.length, t, strict);
    if (k === 0) return 0;
    const values = this.block(1, k - 1) as Float64Array | null;
    return values && (k - 1) * this.shape.block + firstAt(values, 0, values.length, t, strict);
  }

  /** The value at position k (null: damaged or closed). */
  valueAt(k: number): number | null {
    const { block } = this.shape;
    const values = this.block(1, Math.floor(k / block));
    return values && values[k % block];
  }

  /** The ids of positions [from, to) as bits (null: damaged or closed), from the nearest prefix bitsets where that reads less. */
  rangeWords(from: number, to: number): Uint32Array | null {
    const { words: length, stride } = this.shape;
    if (to <= from) return new Uint32Array(0);
    const words = new Uint32Array(length);
    const [high, low] = stride > 0 && this.fd !== null ? [this.plan(to), from > 0 ? this.plan(from) : null] : [null, null];
    if (!high || to - from <= high.cost + (low?.cost ?? 0)) return this.eachIds(from, to, (ids, a, b) => setIds(words, ids, a, b)) ? words : null;
    // words = the ids of [0, to), then less those of [0, from).
    if (high.m >= 0 && !this.readMark(words, high.m, false)) return null;
    const toHigh = high.pos <= to ? this.eachIds(high.pos, to, (ids, a, b) => setIds(words, ids, a, b)) : this.eachIds(to, high.pos, (ids, a, b) => clearIds(words, ids, a, b));
    if (!toHigh) return null;
    if (!low) return words;
    if (low.m >= 0 && !this.readMark(words, low.m, true)) return null;
    // Less bitset m, the ids between its position and `from` are out too (pos ≤ from), or back in (pos > from; never
    // past `to`, which would have cost more than the range's own ids, but bounded by it all the same).
    const toLow = low.pos <= from ? this.eachIds(low.pos, from, (ids, a, b) => clearIds(words, ids, a, b)) : this.eachIds(from, Math.min(low.pos, to), (ids, a, b) => setIds(words, ids, a, b));
    return toLow ? words : null;
  }

  /**
   * The ids of positions [from, to) as a set streamed to a count (chunked-tally.ts), from the nearest prefix bitsets
   * read a chunk at a time (their SHA-256 checked once the last chunk is read) and the ids between them and the
   * range's ends; null where the ids alone are cheaper, or there are no prefix bitsets (the caller builds the words).
   */
  rangeStream(from: number, to: number): StreamedSet | null {
    const { stride, words: length, at, marks } = this.shape;
    if (stride === 0 || this.fd === null || this.damaged || to <= from) return null;
    const high = this.plan(to);
    const low = from > 0 ? this.plan(from) : null;
    const lowPos = low ? low.pos : 0;
    // Bitset high less bitset low holds positions [lowPos, high.pos): the fixes below then make it [from, to).
    if (to - from <= high.cost + (low?.cost ?? 0) || lowPos > high.pos) return null;
    const parts = [high.m, low ? low.m : -1].map((m) => (m < 0 ? null : { m, position: at - (marks - m) * length * 4, hash: createHash('sha256') }));
    let done = 0;
    const range = (set: boolean, a: number, b: number): Fix[] => (a < b ? [{ set, each: (use) => this.eachIds(a, b, use) }] : []);
    return {
      length,
      count: to - from,
      fill: (w, out) => {
        if (this.damaged || this.fd === null || Math.min(w, length) !== done) return false;
        const inside = Math.max(0, Math.min(out.length, length - w));
        out.fill(0, inside);
        const head = out.subarray(0, inside);
        try {
          for (const [k, part] of parts.entries()) {
            if (!part) {
              if (k === 0) head.fill(0);
              continue;
            }
            const target = k === 0 ? head : scratchOf(inside);
            if (!readFully(this.fd, bytesOf(target), part.position + w * 4)) return this.fail();
            this.bytesRead += target.byteLength;
            part.hash.update(bytesOf(target));
            if (k === 1) for (let j = 0; j < inside; j++) head[j] &= ~target[j];
          }
        } catch {
          return this.fail();
        }
        done = w + inside;
        return true;
      },
      fixes: [...range(true, from, lowPos), ...range(false, lowPos, from), ...range(true, high.pos, to), ...range(false, to, high.pos)],
      verify: () => {
        if (done !== length) return false;
        for (const part of parts) {
          if (!part) continue;
          const k = 2 * this.fences.length + part.m;
          if (!part.hash.digest().equals(this.checks.subarray(k * HASH, (k + 1) * HASH))) return this.fail();
        }
        return true;
      },
    };
  }

  /** The cheaper way to the ids of [0, at): the prefix bitset at or below it, or the one above (ids and words both 4 bytes). */
  private plan(at: number): Plan {
    const { stride, words, count, marks } = this.shape;
    // Bitset m covers [0, min((m + 1) * stride, count)).
    const k = Math.floor(at / stride);
    const below: Plan = { m: k - 1, pos: k * stride, cost: at - k * stride + (k > 0 ? words : 0) };
    if (k >= marks) return below;
    const pos = Math.min((k + 1) * stride, count);
    return pos - at + words < below.cost ? { m: k, pos, cost: pos - at + words } : below;
  }

  /** Calls `use` with the checked ids of each block overlapping [from, to) and the part of it inside (false: damaged or closed). */
  private eachIds(from: number, to: number, use: (ids: Int32Array, a: number, b: number) => void): boolean {
    const { block } = this.shape;
    for (let b = Math.floor(from / block); b * block < to; b++) {
      const ids = this.block(2, b) as Int32Array | null;
      if (!ids) return false;
      use(ids, Math.max(from - b * block, 0), Math.min(to - b * block, ids.length));
    }
    return true;
  }

  /** Block b of one array, checked: from the array once read whole, else from the recent blocks or read into one of their buffers. */
  private block(bit: 1 | 2, b: number): Float64Array | Int32Array | null {
    const { block, count } = this.shape;
    const [from, to] = [b * block, Math.min((b + 1) * block, count)];
    if (this.loaded[b] & bit) return (bit === 1 ? this.values : this.ids).subarray(from, to);
    const k = this.recent.findIndex((r) => r.bit === bit && r.b === b);
    if (k >= 0) {
      const [hit] = this.recent.splice(k, 1);
      this.recent.push(hit);
      return hit.array.subarray(0, to - from);
    }
    if (this.damaged || this.fd === null) return null;
    const same = this.recent.filter((r) => r.bit === bit);
    const reused = same.length >= RING ? this.recent.splice(this.recent.indexOf(same[0]), 1)[0].array : null;
    const array = reused ?? (bit === 1 ? new Float64Array(block) : new Int32Array(block));
    const target = array.subarray(0, to - from);
    if (!this.readChecked(bit, b, b + 1, target)) return null;
    this.recent.push({ bit, b, array });
    return target;
  }

  /** Reads prefix bitset m into `words` (`subtract`: clears its ids there instead), checked before the caller uses `words` (false: damaged or closed). */
  private readMark(words: Uint32Array, m: number, subtract: boolean): boolean {
    if (this.damaged || this.fd === null) return false;
    const { at, words: length, marks } = this.shape;
    const position = at - (marks - m) * length * 4;
    const hash = createHash('sha256');
    try {
      if (!subtract) {
        if (!readFully(this.fd, bytesOf(words), position)) return this.fail();
        this.bytesRead += words.byteLength;
        hash.update(bytesOf(words));
      } else {
        for (let w = 0; w < length; w += SCRATCH_WORDS) {
          const part = scratchOf(Math.min(SCRATCH_WORDS, length - w));
          if (!readFully(this.fd, bytesOf(part), position + w * 4)) return this.fail();
          this.bytesRead += part.byteLength;
          hash.update(bytesOf(part));
          for (let k = 0; k < part.length; k++) words[w + k] &= ~part[k];
        }
      }
    } catch {
      return this.fail();
    }
    const at2 = 2 * this.fences.length + m;
    return hash.digest().equals(this.checks.subarray(at2 * HASH, (at2 + 1) * HASH)) || this.fail();
  }

  /** Reads blocks [b, end) of one array into it and checks each. */
  private load(b: number, end: number, bit: 1 | 2): boolean {
    const { block, count } = this.shape;
    const array = bit === 1 ? this.values : this.ids;
    if (!this.readChecked(bit, b, end, array.subarray(b * block, Math.min(end * block, count)))) return false;
    for (let k = b; k < end; k++) this.loaded[k] |= bit;
    this.left -= end - b;
    if (this.left === 0) this.close();
    return true;
  }

  /** Reads blocks [b, end) of one array into `target` and checks each against the table (false: damaged, and the copy closed). */
  private readChecked(bit: 1 | 2, b: number, end: number, target: Float64Array | Int32Array): boolean {
    if (this.damaged || this.fd === null) return false;
    const { at, block, count } = this.shape;
    const position = at + (bit === 1 ? 0 : count * 8) + b * block * target.BYTES_PER_ELEMENT;
    try {
      if (!readFully(this.fd, bytesOf(target), position)) return this.fail();
      this.bytesRead += target.byteLength;
    } catch {
      return this.fail();
    }
    for (let k = b; k < end; k++) {
      const at2 = (bit === 1 ? 0 : this.fences.length) + k;
      const [start, stop] = [(k - b) * block, Math.min((k + 1) * block, count) - b * block];
      // A block's first value must also be the one the table promised (`position` relies on it).
      if (!sha(bytesOf(target, start, stop)).equals(this.checks.subarray(at2 * HASH, (at2 + 1) * HASH)) || (bit === 1 && target[start] !== this.fences[k])) return this.fail();
    }
    return true;
  }

  private fail(): false {
    this.damaged = true;
    this.close();
    return false;
  }
}

/** How many items `order` holds (a copy read from its file: without allocating its arrays). */
export function countOf(order: SignalOrder): number {
  return order instanceof SortedCopy ? order.count : order.values.length;
}

/** The position of the first value ≥ t (`strict`: > t); null when a copy read from its file finds damage. */
export function positionOf(order: SignalOrder, t: number, strict: boolean): number | null {
  return order instanceof SortedCopy ? order.position(t, strict) : firstAt(order.values, 0, order.values.length, t, strict);
}

/** The value at position k; null when a copy read from its file finds damage. */
export function valueOf(order: SignalOrder, k: number): number | null {
  return order instanceof SortedCopy ? order.valueAt(k) : order.values[k];
}

/** The ids of positions [from, to) as bits (distinct: a signal has one value per item); null when a copy read from its file finds damage. */
export function rangeWords(order: SignalOrder, from: number, to: number): Uint32Array | null {
  if (order instanceof SortedCopy) return order.rangeWords(from, to);
  const words = new Uint32Array(wordsFor(maxId(order.ids, from, to)));
  setIds(words, order.ids, from, to);
  return words;
}

/** Whether `values` and `ids` hold the whole order (a copy read from its file reads the rest now; false: damaged). */
export function readWhole(order: SignalOrder): boolean {
  return !(order instanceof SortedCopy) || order.readWhole();
}

function readAt(fd: number, length: number, position: number): Buffer | null {
  const buf = Buffer.allocUnsafe(length);
  return readFully(fd, buf, position) ? buf : null;
}

const markCountOf = (count: number, stride: number) => (stride > 0 ? Math.ceil(count / stride) : 0);

/**
 * Opens the copy of `name` at change version `version`, or at any version `version` accepts (a copy written a few
 * versions ago, to be caught up from signal_log: removed-sets.ts; its `version` says which): reads its header and
 * block table once, and checks the first and last blocks of both arrays. Null when the file is missing, at a version
 * not accepted, damaged there or over `maxBytes`. The caller counts through positionOf, valueOf and rangeWords
 * (which read the blocks they need), and closes it.
 */
export function openSortedFile(dir: string, name: string, version: number | ((written: number) => boolean), maxBytes: number): SortedCopy | null {
  let fd: number;
  try {
    fd = openSync(fileOf(dir, name), 'r');
  } catch {
    return null;
  }
  let copy: SortedCopy | null = null;
  try {
    const read = readHeader(fd, MAGIC, 8);
    if (!read) return null;
    const { end, size } = read;
    const header = read.header as Header;
    const { count, block, stride, words } = header;
    const whole = (n: unknown, min: number) => Number.isSafeInteger(n) && (n as number) >= min;
    const accepted = typeof version === 'number' ? header.version === version : whole(header.version, 0) && version(header.version);
    if (header.name !== name || !accepted || !whole(count, 0) || !whole(block, 1) || !whole(stride, 0) || !whole(words, 0)) return null;
    const nb = blocks(count, block);
    const marks = markCountOf(count, stride);
    const at = end + nb * (8 + 2 * HASH) + marks * HASH + marks * words * 4;
    if (count * 12 > maxBytes || size !== at + count * 12) return null;
    const table = readAt(fd, nb * (8 + 2 * HASH) + marks * HASH, end);
    if (!table || metaOf(header, table) !== header.meta) return null;
    // The table's own buffer may start anywhere: the first values are copied out to an aligned array.
    const fences = new Float64Array(nb);
    bytesOf(fences).set(table.subarray(0, nb * 8));
    copy = new SortedCopy(fd, header.version, { at, count, block, stride, words, marks }, fences, table.subarray(nb * 8));
    return copy.ends() ? copy : null;
  } catch {
    return null;
  } finally {
    // Open only while a copy may still read from it (a copy closes it once read whole or damaged).
    if (copy === null) closeSync(fd);
  }
}

/** Writes the copy of `name` at `version` (best effort: cache-file.ts), with its prefix bitsets. */
export function saveSortedFile(dir: string, name: string, version: number, order: SignalOrder): void {
  const count = order.values.length;
  const block = blockSize();
  const nb = blocks(count, block);
  const words = wordsFor(maxId(order.ids));
  // Bitsets only where one is smaller than the ids it stands for (sparse ids would make each larger than the copy).
  const wanted = markWanted();
  const stride = wanted > 0 && words > 0 && words <= count ? block * Math.ceil(nb / wanted) : 0;
  const marks = markCountOf(count, stride);
  const table = Buffer.alloc(nb * (8 + 2 * HASH) + marks * HASH);
  for (let b = 0; b < nb; b++) {
    const [from, to] = [b * block, Math.min((b + 1) * block, count)];
    table.writeDoubleLE(order.values[from], b * 8);
    table.set(sha(bytesOf(order.values, from, to)), nb * 8 + b * HASH);
    table.set(sha(bytesOf(order.ids, from, to)), nb * (8 + HASH) + b * HASH);
  }
  // Bitset m holds the ids of positions [0, min((m + 1) * stride, count)).
  const bits = new Uint32Array(marks * words);
  for (let m = 0; m < marks; m++) {
    const mark = bits.subarray(m * words, (m + 1) * words);
    if (m > 0) mark.set(bits.subarray((m - 1) * words, m * words));
    setIds(mark, order.ids, m * stride, Math.min((m + 1) * stride, count));
    table.set(sha(bytesOf(mark)), nb * (8 + 2 * HASH) + m * HASH);
  }
  const layout = { name, version, count, block, stride, words };
  writeCacheFile(fileOf(dir, name), MAGIC, { ...layout, meta: metaOf(layout, table) } satisfies Header, 8, [table, bytesOf(bits), bytesOf(order.values), bytesOf(order.ids)]);
}
