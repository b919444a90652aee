// @ts-check
// The reads an import makes for every item: sidecar caption texts, and image bytes with their sha256 and
// header size. Plain JavaScript, so a worker thread runs this same file without a TypeScript loader (tsx in a
// worker took 130–600 ms to start, most of a 10k-image import); the main thread imports it too (file-reads.ts
// runs it in-thread until the worker is up, and for one-off probes). What the bytes mean (accepted formats, the
// pixel limit, JSON sidecars) is decided in TypeScript on the main thread (probe.ts, image-folder.ts).
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** workerData.role of a read worker (file-reads.ts starts it). */
export const READ_WORKER = 'winnow-read-files';
/** Only this much of an image is given to the header parser. */
const HEADER_BYTES = 512 * 1024;
/**
 * Files up to these sizes are read with synchronous calls: four direct syscalls (~10 µs for a small file)
 * instead of four thread-pool round trips, which made a folder of small images 4-5× slower than just reading
 * and hashing it. Bounded, so the thread is never held for long.
 */
const SYNC_IMAGE_BYTES = 256 * 1024;
const SYNC_TEXT_BYTES = 64 * 1024;
/** Larger images are read streaming, this many at a time (overlapping disk reads). */
const LARGE_CONCURRENCY = 8;

const require = createRequire(import.meta.url);
/** @type {typeof import('image-size').imageSize | undefined} */
let imageSizeFn;

/**
 * image-size loads on first use (tens of ms): commands that never read an image header (search, status) start
 * without it. Same call as the package's `imageSize`.
 * @param {Uint8Array} input
 */
export function imageSize(input) {
  imageSizeFn ??= /** @type {typeof import('image-size')} */ (require('image-size')).imageSize;
  return imageSizeFn(input);
}

// One buffer reused for every small file: no allocation per file, and no fstat, whose Stats object (four
// Dates) cost more than the read itself at 10k files.
let scratch = Buffer.allocUnsafe(0);

/**
 * The whole content of the open file `fd` when it is at most `limit` bytes, else null (read it another way).
 * The bytes are a view of a buffer the next call overwrites: use them before reading another file.
 * @param {number} fd
 * @param {number} limit
 * @param {number} reads at most this many read calls (see readSmallFile)
 * @returns {Buffer | null}
 */
function readSmallSync(fd, limit, reads) {
  if (scratch.length < limit + 1) scratch = Buffer.allocUnsafe(limit + 1);
  let got = 0;
  // One byte past the limit tells "larger" apart from "exactly the limit"; a read of 0 is the end of the file.
  for (let n; reads-- > 0 && got <= limit && (n = readSync(fd, scratch, got, limit + 1 - got, null)) > 0;) got += n;
  return got > limit ? null : scratch.subarray(0, got);
}

/** @param {unknown} err */
const code = (err) => /** @type {NodeJS.ErrnoException} */ (err).code ?? /** @type {Error} */ (err).message;

/** @typedef {Pick<import('./read-files.d.mts').ImageBytes, 'type' | 'width' | 'height' | 'orientation' | 'sizeError'>} HeaderSize */

/** What an empty file's header says: nothing. @type {HeaderSize} */
const NO_HEADER = { type: null, width: null, height: null, orientation: null, sizeError: null };

/**
 * @param {Buffer} header
 * @returns {HeaderSize}
 */
function headerSize(header) {
  try {
    const s = imageSize(header);
    return { type: s.type ?? null, width: s.width ?? null, height: s.height ?? null, orientation: s.orientation ?? null, sizeError: null };
  } catch (err) {
    return { ...NO_HEADER, sizeError: /** @type {Error} */ (err).message };
  }
}

/**
 * Size, sha256 and header of bytes already in memory.
 * @param {Buffer} buf
 * @returns {import('./read-files.d.mts').ImageBytes}
 */
export function describeBytes(buf) {
  const sha256 = createHash('sha256').update(buf).digest('hex');
  if (buf.length === 0) return { bytes: 0, sha256, ...NO_HEADER };
  return { bytes: buf.length, sha256, ...headerSize(buf.subarray(0, HEADER_BYTES)) };
}

/**
 * The whole of `file` when it is at most `limit` bytes, else null. Errors are fs errors (their `syscall` says
 * whether the open or the read failed); the bytes are readSmallSync's shared view, overwritten by the next small
 * read in this thread (an import's captions and images, the model-input cache's entries: input-cache.ts).
 * `reads`: by default the file is read to its end (a read of 0), so a short read never passes for the whole file;
 * a caller that checks the length itself can pass 1 (on a local disk one read is the whole file; the read of 0
 * costs ~3 µs, about a fifth of reading a 12 KB file).
 * @param {string} file
 * @param {number} limit
 * @param {number} [reads]
 * @returns {Buffer | null}
 */
export function readSmallFile(file, limit, reads = Infinity) {
  const fd = openSync(file, 'r');
  try {
    return readSmallSync(fd, limit, reads);
  } finally {
    closeSync(fd);
  }
}

/**
 * The read of an image small enough for one synchronous read (SYNC_IMAGE_BYTES), else null.
 * @param {string} file
 * @returns {import('./read-files.d.mts').ImageRead | null}
 */
function readSmallImage(file) {
  let small;
  try {
    small = readSmallFile(file, SYNC_IMAGE_BYTES);
  } catch (err) {
    const step = /** @type {NodeJS.ErrnoException} */ (err).syscall === 'open' ? 'open' : 'read';
    return { ioError: `cannot ${step}: ${code(err)}` };
  }
  return small && describeBytes(small);
}

/**
 * @param {string} file
 * @returns {Promise<import('./read-files.d.mts').ImageRead>}
 */
async function readLargeImage(file) {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    return { ioError: `cannot open: ${code(err)}` };
  }
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(HEADER_BYTES);
    /** @type {Buffer | null} */
    let header = null;
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      if (header === null) header = Buffer.from(chunk.subarray(0, bytesRead));
      hash.update(chunk.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    if (header === null) return { bytes: 0, sha256: hash.digest('hex'), ...NO_HEADER };
    return { bytes, sha256: hash.digest('hex'), ...headerSize(header) };
  } catch (err) {
    return { ioError: `cannot read: ${code(err)}` };
  } finally {
    await handle.close();
  }
}

/**
 * Reads images in order: small ones synchronously (no promise per file), then the large ones a few at a time.
 * @param {string[]} files
 * @returns {Promise<import('./read-files.d.mts').ImageRead[]>}
 */
export async function readImages(files) {
  /** @type {import('./read-files.d.mts').ImageRead[]} */
  const out = new Array(files.length);
  /** @type {number[]} */
  const large = [];
  for (let i = 0; i < files.length; i++) {
    const read = readSmallImage(files[i]);
    if (read) out[i] = read;
    else large.push(i);
  }
  for (let from = 0; from < large.length; from += LARGE_CONCURRENCY) {
    const group = large.slice(from, from + LARGE_CONCURRENCY);
    const reads = await Promise.all(group.map((i) => readLargeImage(files[i])));
    group.forEach((i, k) => (out[i] = reads[k]));
  }
  return out;
}

/**
 * Reads text files (captions) as UTF-8, in order; each is its text or why it could not be read.
 * @param {string[]} files
 * @returns {Promise<import('./read-files.d.mts').TextRead[]>}
 */
export async function readTexts(files) {
  /** @type {import('./read-files.d.mts').TextRead[]} */
  const out = [];
  for (const file of files) {
    try {
      const small = readSmallFile(file, SYNC_TEXT_BYTES);
      out.push({ text: small ? small.toString('utf8') : await readFile(file, 'utf8') });
    } catch (err) {
      out.push({ error: /** @type {Error} */ (err).message });
    }
  }
  return out;
}

if (!isMainThread && parentPort && workerData?.role === READ_WORKER) {
  const port = parentPort;
  port.on('message', async (/** @type {import('./read-files.d.mts').ReadRequest} */ req) => {
    const out = req.op === 'images' ? await readImages(req.files) : await readTexts(req.files);
    port.postMessage({ id: req.id, out });
  });
  port.postMessage({ ready: true });
}
