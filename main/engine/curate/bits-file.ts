// What a rule source removes as a bitset on disk (removed-sets.ts `sourceBits`), so a reopened project counts a
// duplicate rule from 125 KB read back (1M items) instead of joining every group's members again (10–50 ms on
// the bench VM). One file per source in the project's filter-cache folder, named by a hash of its SQL, holding
// the SQL and the change_versions of what it reads; anything unexpected in it is a miss, and the caller runs SQL.
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { bytesOf, readFully, readHeader, writeCacheFile } from './cache-file';

const MAGIC = 'WNBITS02';

/** `count`: the bits set, saved so a first recount does not count them before V8 optimizes (~2–4 ms at 1M items); `check` covers it and the words. */
interface Header { sql: string; version: string; words: number; count: number; check: string }

const fileOf = (dir: string, sql: string) => path.join(dir, `source-${createHash('sha256').update(sql).digest('hex').slice(0, 24)}.bits`);
const sha = (words: Uint32Array, count: number) => createHash('sha256').update(`${count}:`).update(bytesOf(words)).digest('base64');

/** The words saved for `sql` at `version` and how many bits they set, or null when the file is missing, stale or damaged. */
export function loadBitsFile(dir: string, sql: string, version: string): { words: Uint32Array; count: number } | null {
  let fd: number;
  try {
    fd = openSync(fileOf(dir, sql), 'r');
  } catch {
    return null;
  }
  try {
    const read = readHeader(fd, MAGIC, 4);
    if (!read) return null;
    const { end, size } = read;
    const header = read.header as Header;
    if (header.sql !== sql || header.version !== version || !Number.isSafeInteger(header.words) || !Number.isSafeInteger(header.count) || size !== end + header.words * 4) return null;
    // Read straight into the words (a file-sized buffer and a copy would touch twice the fresh pages: ~2 ms at 1M items here).
    const words = new Uint32Array(header.words);
    if (!readFully(fd, bytesOf(words), end)) return null;
    return sha(words, header.count) === header.check ? { words, count: header.count } : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Writes the words of `sql` at `version`, which set `count` bits (best effort). */
export function saveBitsFile(dir: string, sql: string, version: string, words: Uint32Array, count: number): void {
  writeCacheFile(fileOf(dir, sql), MAGIC, { sql, version, words: words.length, count, check: sha(words, count) } satisfies Header, 4, [bytesOf(words)]);
}
