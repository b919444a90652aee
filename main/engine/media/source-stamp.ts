// What identifies the file a cached derivative (a grid thumbnail, a model-input cache entry) was made from, so a
// cache serves it only while that file is unchanged.
import { type BigIntStats, statSync } from 'node:fs';

export const STAMP_BYTES = 24;

/**
 * The file's mtime and ctime in nanoseconds and its size. Compared for equality, not "cache newer than file": a file
 * replaced by another picture carrying an older mtime (`cp -p`, `rsync -t`, an unpacked archive) has another stamp.
 * The ctime catches even a replacement with the same mtime and size, since no tool can set it; what else changes it
 * (chmod, a move) costs one decode, never a stale picture. Nothing cheaper is sound: the import's sha256 in the
 * database describes the file as imported, not as it is now.
 */
export function sourceStamp(stats: BigIntStats): Uint8Array {
  const stamp = new BigUint64Array(3);
  stamp[0] = stats.mtimeNs;
  stamp[1] = stats.ctimeNs;
  stamp[2] = stats.size;
  return new Uint8Array(stamp.buffer);
}

/**
 * `file`'s stamp now (from `stats` when the caller has them, such as the item resolver's lstat), or null when it
 * cannot be stat'ed: nothing then counts as made from it.
 */
export function currentStamp(file: string, stats?: BigIntStats): Uint8Array | null {
  if (stats) return sourceStamp(stats);
  try {
    return sourceStamp(statSync(file, { bigint: true }));
  } catch {
    return null;
  }
}

/** Whether `bytes` hold `stamp` at `at` (a cache entry's recorded stamp against the file's now). */
export function holdsStamp(bytes: Buffer, at: number, stamp: Uint8Array): boolean {
  // Compared in place: no view allocated per read (the model-input cache reads thousands of entries a second).
  return stamp.length === STAMP_BYTES && at >= 0 && at + STAMP_BYTES <= bytes.length && bytes.compare(stamp, 0, STAMP_BYTES, at, at + STAMP_BYTES) === 0;
}
