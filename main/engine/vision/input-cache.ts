// The model-input cache: for small models (input ≤ 128×128, such as the built-in 64-px one) the 8-bit RGB
// pixels each image becomes after the processor's resize and crop, written by the pass that first decodes
// the image and read by every later pass with the same preprocessing (detection with the built-in model's
// patch tokens, re-embedding, shard runs) instead of decoding the original again. Reading it is a file read:
// normalizing those pixels gives exactly the tensor that full decoding gives (no second lossy step), at a
// small fraction of the decode's cost. Larger inputs are not cached: 224 px would be 150 KB per image.
import { createHash } from 'node:crypto';
import { type BigIntStats, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readSmallFile } from '../ingest/read-files.mjs';
import { currentStamp, holdsStamp, STAMP_BYTES } from '../media/source-stamp';
import type { PreprocessSpec } from './preprocess-spec';

/** An image to preprocess through the cache: read `cache` when `fresh`, else decode `source` and write it. */
export interface CachedInput {
  source: string | Uint8Array;
  cache: string;
  /**
   * The entry is worth reading (it exists, or was not looked for: a missing one then reads as a miss); it is used only
   * if it was made from the file `stamp` describes.
   */
  fresh: boolean;
  /** The file the pixels come from, as stat'ed before decoding (media/source-stamp.ts): written into the entry, compared on read. */
  stamp: Uint8Array;
  /**
   * Whether `source` is the original image (its entry then equals full decoding bit for bit) rather than a
   * stand-in for it (the grid's thumbnail: close, not equal). Written into the entry; a reader that needs
   * full decoding's exact tensor (detection) takes only exact entries.
   */
  exact?: boolean;
  /** Read only entries made from the original (see `exact`). */
  requireExact?: boolean;
  /**
   * What to decode when the entry cannot be used, asked only then (the embed job's thumbnail lookup reads a file, which
   * a hit never needs). Main thread only: the pool calls it before an image goes to a worker (a function cannot cross).
   */
  onMiss?: () => CachedInput;
}

/** Decoded pixels ready to normalize: RGB, crop.width × crop.height, placed at (padLeft, padTop) in the tensor. */
export interface ModelPixels {
  pixels: Uint8Array;
  /** The source image's upright size. */
  width: number;
  height: number;
}

const MAGIC = 0x43494e57; // 'WNIC'
// Part of the key: bump it when the entry layout or the decode behind it changes (a new sharp/libvips that
// resamples differently), so entries of the old kind are decoded again instead of trusted.
// 3: EXIF-rotated images are decoded at reduced size too (preprocess.ts), which moves their pixels by rounding.
// 4: the header holds the source file's stamp (an entry of version 3 was trusted when not older than its file).
const VERSION = 4;
const STAMP = 36;
const HEADER = STAMP + STAMP_BYTES;
const EXACT = 1;
const MAX_CACHED_PIXELS = 128 * 128;

const keys = new WeakMap<PreprocessSpec, string>();

/** The fields that decide the pixels (normalization is applied after the cache, so it is not part of the key). */
export function inputCacheKey(spec: PreprocessSpec): string {
  let key = keys.get(spec);
  if (key === undefined) {
    const { resize, crop, padToSquare, kernel, width, height } = spec;
    key = createHash('sha256').update(JSON.stringify({ v: VERSION, resize, crop, padToSquare, kernel, width, height })).digest('hex').slice(0, 16);
    keys.set(spec, key);
  }
  return key;
}

/** Small inputs only, unless `WINNOW_INPUT_CACHE=0` turns the cache off (it costs ~16 KB of disk per image at 64 px). */
export function inputCacheEligible(spec: PreprocessSpec, env: NodeJS.ProcessEnv = process.env): boolean {
  return env.WINNOW_INPUT_CACHE !== '0' && spec.resize.mode !== 'none' && spec.width * spec.height <= MAX_CACHED_PIXELS;
}

export function inputCachePath(thumbsDir: string, spec: PreprocessSpec, itemId: number): string {
  return path.join(thumbsDir, `input-${inputCacheKey(spec)}`, String(Math.floor(itemId / 1000)), `${itemId}.rgb`);
}

/**
 * The cache entry for an item when the spec is eligible, null when the spec is not cached. `fresh` says an entry
 * exists; reading it checks that it was made from `file` as it is now (the image, or the archive holding it: its
 * `stamp`, taken here, before any decode, so a file changed while it decodes leaves an entry the next pass refuses).
 * `exact`: `source` is the original image's file or bytes, not a stand-in such as its thumbnail. `fileStats`:
 * `file`'s stat when the caller has it (the item resolver's lstat), one stat per item fewer. `look` false: the entry is
 * not looked for (`fresh` true), for a caller whose reader tries the read anyway: its open() failing says the same as
 * an existsSync, and a hit, the common case once the input pass ran, then costs one system call fewer.
 */
export function cachedInput(thumbsDir: string, spec: PreprocessSpec, itemId: number, file: string, source: string | Uint8Array, exact: boolean, fileStats?: BigIntStats, look = true): CachedInput | null {
  if (!inputCacheEligible(spec)) return null;
  const cache = inputCachePath(thumbsDir, spec, itemId);
  const stamp = currentStamp(file, fileStats);
  // The file vanished: decoding the source reports that; no entry can match an empty stamp.
  if (!stamp) return { source, cache, fresh: false, stamp: new Uint8Array(0), exact };
  return { source, cache, fresh: !look || existsSync(cache), stamp, exact };
}

export function isCachedInput(input: unknown): input is CachedInput {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'cache' in input;
}

/**
 * What a worker decodes for a cached input whose entry the main thread just failed to use: its `onMiss` choice, else the
 * input itself marked not fresh (the worker would only read the same unusable entry again).
 */
export function missedInput(input: CachedInput): CachedInput {
  if (input.onMiss) return input.onMiss();
  return input.fresh ? { ...input, fresh: false, onMiss: undefined } : input;
}

/** The largest valid entry: a longer file is damaged (decoded again). */
const MAX_ENTRY = HEADER + MAX_CACHED_PIXELS * 3;

/**
 * The entry's bytes, in the import reads' buffer (read-files.mjs), which the next small read overwrites: one open, one
 * read and one close (readFileSync adds an fstat and a fresh buffer per file, ~40% more CPU per 12 KB entry). One read
 * is the whole file on a local disk; a short one can only fail readInputCache's length check (decoded again). Null when
 * the file cannot be read or is longer than any entry.
 */
function readEntryBytes(file: string): Buffer | null {
  try {
    return readSmallFile(file, MAX_ENTRY, 1);
  } catch {
    return null;
  }
}

/**
 * The entry's pixels, or null when it is missing, truncated or longer than its header says, made for other
 * preprocessing or from a file other than the one `stamp` describes (media/source-stamp.ts), or (with `requireExact`) made from a stand-in for the original. With `reuse` the pixels live in
 * the read buffer, which the next read overwrites: only for a caller that uses them at once (normalizing into a
 * tensor); otherwise they are copied out.
 */
export function readInputCache(file: string, spec: PreprocessSpec, stamp: Uint8Array, cropPixels: (width: number, height: number) => number, requireExact = false, reuse = false): ModelPixels | null {
  if (stamp.length !== STAMP_BYTES) return null;
  const bytes = readEntryBytes(file);
  if (!bytes) return null;
  if (bytes.length < HEADER || bytes.readUInt32LE(0) !== MAGIC || bytes.readUInt32LE(4) !== VERSION) return null;
  if (bytes.toString('latin1', 20, 36) !== inputCacheKey(spec)) return null;
  if (!holdsStamp(bytes, STAMP, stamp)) return null;
  if (requireExact && !(bytes.readUInt32LE(16) & EXACT)) return null;
  const width = bytes.readUInt32LE(8);
  const height = bytes.readUInt32LE(12);
  if (!width || !height || bytes.length !== HEADER + cropPixels(width, height) * 3) return null;
  const pixels = new Uint8Array(bytes.buffer, bytes.byteOffset + HEADER, bytes.length - HEADER);
  return { pixels: reuse ? pixels : pixels.slice(), width, height };
}

/** Writes an entry atomically (a reader never sees half of one). A failure only means no cache: it is not an error. */
export function writeInputCache(file: string, spec: PreprocessSpec, decoded: ModelPixels, exact: boolean, stamp: Uint8Array): void {
  if (stamp.length !== STAMP_BYTES) return; // the file could not be stat'ed: an entry nothing can ever match
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(VERSION, 4);
  header.writeUInt32LE(decoded.width, 8);
  header.writeUInt32LE(decoded.height, 12);
  header.writeUInt32LE(exact ? EXACT : 0, 16);
  header.write(inputCacheKey(spec), 20, 'latin1');
  header.set(stamp, STAMP);
  const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(temporary, Buffer.concat([header, decoded.pixels]));
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
    // A read-only or full disk: the next pass decodes the original again, as it would without the cache.
  }
}
