// A signal's sorted copy (removed-sets.ts) on disk, so a reopened project counts threshold rules from it at
// once instead of by SQL while ~1 s of rows (1M items) are read again. One file per signal in the project
// folder: a header naming the signal and its change_versions number, then the values and ids as raw typed
// arrays read back with one readFileSync (no parsing). A file is only ever a cache: anything unexpected in it
// (another version, a short or corrupt file, another signal) is a miss, and the caller reads SQL.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, read, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database';

/** A signal's values in ascending order with the item each belongs to (ties in item order). */
export interface SignalOrder { values: Float64Array; ids: Int32Array }

const MAGIC = 'WNSORT01';
/** Magic, then the header's JSON length (u32), the JSON padded with spaces so the arrays start 8-byte aligned. */
const PREFIX = MAGIC.length + 4;

interface Header { name: string; version: number; count: number; check: string }

/** The folder of sorted copies, or null for a database without a file (in memory). */
export function sortedDir(db: Db): string | null {
  return db.memory || !db.name ? null : path.join(path.dirname(db.name), 'filter-cache');
}

/** Signal names allow ':' (not in Windows file names): every character outside [A-Za-z0-9_.-] is escaped. */
const fileOf = (dir: string, name: string) => path.join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}.sorted`);

/** SHA-256 of the arrays (~10 ms for 1M items where the CPU has SHA instructions), to tell a damaged file from a good one. */
function checksum(order: SignalOrder): string {
  const hash = createHash('sha256');
  for (const a of [order.values, order.ids]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return hash.digest('base64');
}

/** The size and modification time of the copy's file, or null when there is none. */
export function sortedFileStat(dir: string, name: string): { bytes: number; mtimeMs: number } | null {
  try {
    const s = statSync(fileOf(dir, name));
    return { bytes: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return null;
  }
}

/** The arrays of a file's bytes and the checksum its header promises, or null when the header or the layout is not right. */
function parse(buf: Buffer, name: string, version: number, maxBytes: number): { order: SignalOrder; check: string } | null {
  if (buf.length < PREFIX || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return null;
  const headerEnd = PREFIX + buf.readUInt32LE(MAGIC.length);
  if (headerEnd > buf.length || headerEnd % 8 !== 0) return null;
  let header: Header;
  try {
    header = JSON.parse(buf.toString('utf8', PREFIX, headerEnd)) as Header;
  } catch {
    return null;
  }
  const { count } = header;
  if (header.name !== name || header.version !== version || !Number.isSafeInteger(count) || count < 0) return null;
  if (count * 12 > maxBytes || buf.length !== headerEnd + count * 12) return null;
  // The arrays view the file's own buffer (no copy) when it starts 8-byte aligned, as a whole-file allocation does.
  const aligned = (buf.byteOffset + headerEnd) % 8 === 0;
  const bytes = aligned ? buf : new Uint8Array(buf);
  const values = new Float64Array(bytes.buffer, bytes.byteOffset + headerEnd, count);
  const ids = new Int32Array(bytes.buffer, bytes.byteOffset + headerEnd + count * 8, count);
  return { order: { values, ids }, check: header.check };
}

/** The copy of `name` at change version `version`, or null when the file is missing, stale, damaged or over `maxBytes`. */
export function loadSortedFile(dir: string, name: string, version: number, maxBytes: number): SignalOrder | null {
  let buf: Buffer;
  try {
    buf = readFileSync(fileOf(dir, name));
  } catch {
    return null;
  }
  const parsed = parse(buf, name, version, maxBytes);
  return parsed && checksum(parsed.order) === parsed.check ? parsed.order : null;
}

/** Bytes hashed per event-loop turn when verifying in the background (~2 ms of SHA-256 on the 2-core VM). */
const SLICE = 1 << 20;

/**
 * A file's bytes in one thread-pool read into fresh memory that the read, not this thread, faults in. Open, stat
 * and close are synchronous (microseconds): on the loaded 2-core VM each thread-pool round trip cost a wake-up
 * (fs.promises.readFile makes one per 512 KB, and used ~15% more CPU for 12 MB).
 */
async function readWhole(file: string): Promise<Buffer> {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.allocUnsafeSlow(size);
    let at = 0;
    while (at < size) {
      const got = await new Promise<number>((resolve, reject) => read(fd, buf, at, size - at, at, (err, n) => (err ? reject(err) : resolve(n))));
      if (got === 0) break;
      at += got;
    }
    return at === size ? buf : buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/**
 * loadSortedFile without blocking the event loop: the file is read by libuv's thread pool (where the fresh pages
 * of a 12 MB read fault in: 30–50 ms of a 1M-item signal on the bench VM), and the SHA-256 runs in 1 MB slices
 * between event-loop turns (~20 ms in all here), so requests arriving meanwhile (the first grid page) are served.
 * `hurry` says a caller now waits for the copy.
 * node:crypto has no asynchronous hash, and subtle.digest copies its input on this thread first (measured: it
 * blocked the loop 95–170 ms for 12 MB); a worker thread cost ~120 ms CPU to start and blocked the loop 27–42 ms.
 */
export async function loadSortedFileAsync(dir: string, name: string, version: number, maxBytes: number, hurry: () => boolean = () => false): Promise<SignalOrder | null> {
  const buf = await readWhole(fileOf(dir, name)).catch(() => null);
  const parsed = buf && parse(buf, name, version, maxBytes);
  if (!parsed) return null;
  const hash = createHash('sha256');
  for (const a of [parsed.order.values, parsed.order.ids]) {
    for (let at = 0; at < a.byteLength; at += SLICE) {
      hash.update(new Uint8Array(a.buffer, a.byteOffset + at, Math.min(SLICE, a.byteLength - at)));
      // Once a recount waits for the copy (`hurry`), the rest is hashed at once: every yield costs it a wake-up.
      if (!hurry()) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  return hash.digest('base64') === parsed.check ? parsed.order : null;
}

/**
 * Writes the copy of `name` at `version` (best effort: a read-only folder or a full disk leaves no file). Written to
 * a temporary name and renamed over the old file, so a crash mid-write leaves the old file or none, never a torn one.
 */
export function saveSortedFile(dir: string, name: string, version: number, order: SignalOrder): void {
  const file = fileOf(dir, name);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    let json = JSON.stringify({ name, version, count: order.values.length, check: checksum(order) } satisfies Header);
    json += ' '.repeat((8 - ((PREFIX + Buffer.byteLength(json)) % 8)) % 8);
    const head = Buffer.alloc(PREFIX + Buffer.byteLength(json));
    head.write(MAGIC, 0, 'latin1');
    head.writeUInt32LE(Buffer.byteLength(json), MAGIC.length);
    head.write(json, PREFIX, 'utf8');
    const body = (a: Float64Array | Int32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    writeFileSync(temp, Buffer.concat([head, body(order.values), body(order.ids)]));
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}
