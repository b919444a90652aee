import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { imageSize } from './lazy-image-size';
import { ACCEPTED_IMAGE_FORMATS } from './image-formats';
import { readSmallSync } from './small-file';

/** Decoders refuse images above this many pixels (sharp's default): anything larger is treated as a decompression bomb. */
export const MAX_PIXELS = 268_402_689;
const HEADER_BYTES = 512 * 1024;
/**
 * Files up to this size are read with synchronous calls: four direct syscalls (~10 µs for a small
 * file) instead of four thread-pool round trips, which made a folder of small images 4-5× slower
 * than just reading and hashing it. Bounded, so the event loop is never held for long.
 */
const SYNC_READ_BYTES = 256 * 1024;

export interface Probe {
  format: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
  /** Set when the file is readable but its extension names another format. */
  extensionMismatch: string | null;
}

export class UnreadableImage extends Error {
  constructor(readonly kind: 'empty_file' | 'unreadable' | 'too_large' | 'io_error', message: string) {
    super(message);
  }
}

const EXTENSION_FORMATS: Record<string, string[]> = {
  '.jpg': ['jpg'], '.jpeg': ['jpg'], '.png': ['png'], '.webp': ['webp'], '.gif': ['gif'],
  '.avif': ['avif', 'heif'], '.tif': ['tiff'], '.tiff': ['tiff'],
};

/** Reads width/height from the header (no decode) and hashes the bytes in one streaming pass. */
export async function probeImage(file: string): Promise<Probe> {
  const small = readSmallFile(file);
  if (small) return describe(small.length ? small.subarray(0, HEADER_BYTES) : null, small.length, createHash('sha256').update(small).digest('hex'), file);
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw new UnreadableImage('io_error', `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(HEADER_BYTES);
    let header: Buffer | null = null;
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      if (header === null) header = Buffer.from(chunk.subarray(0, bytesRead));
      hash.update(chunk.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    return describe(header, bytes, hash.digest('hex'), file);
  } finally {
    await handle.close();
  }
}

/** The whole file when it is at most SYNC_READ_BYTES, else null (read it streaming); a view the next read overwrites. */
function readSmallFile(file: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new UnreadableImage('io_error', `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return readSmallSync(fd, SYNC_READ_BYTES);
  } catch (err) {
    throw new UnreadableImage('io_error', `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Probes bytes already in memory (a tar member, a parquet cell); `name` gives the extension to check against. */
export function probeBuffer(data: Uint8Array, name: string): Probe {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return describe(buf.length ? buf.subarray(0, HEADER_BYTES) : null, buf.length, createHash('sha256').update(buf).digest('hex'), name);
}

function describe(header: Buffer | null, bytes: number, sha256: string, file: string): Probe {
  if (bytes === 0 || header === null) throw new UnreadableImage('empty_file', 'file is empty (0 bytes)');
  let size;
  try {
    size = imageSize(header);
  } catch (err) {
    const why = /unsupported file type/i.test((err as Error).message) ? 'unknown or damaged format' : (err as Error).message;
    throw new UnreadableImage('unreadable', `not a readable image: ${why}`);
  }
  if (!size.width || !size.height) throw new UnreadableImage('unreadable', 'image header has no dimensions');
  // EXIF orientations 5-8 rotate by 90°: store the size a viewer shows.
  const rotated = (size.orientation ?? 1) >= 5;
  const width = rotated ? size.height : size.width;
  const height = rotated ? size.width : size.height;
  if (width * height > MAX_PIXELS) {
    throw new UnreadableImage('too_large', `${width}×${height} exceeds the ${MAX_PIXELS.toLocaleString('en')} pixel limit (possible decompression bomb)`);
  }
  const format = size.type ?? 'unknown';
  // Named .png or not, SVG and other non-raster content never reaches a decoder.
  if (!ACCEPTED_IMAGE_FORMATS.has(format)) throw new UnreadableImage('unreadable', `${format} content is not an accepted image format (JPEG, PNG, WebP, GIF, AVIF/HEIF, TIFF)`);
  const expected = EXTENSION_FORMATS[path.extname(file).toLowerCase()];
  const extensionMismatch = expected && !expected.includes(format) ? `extension ${path.extname(file)} but content is ${format}` : null;
  return { format, width, height, bytes, sha256, extensionMismatch };
}
