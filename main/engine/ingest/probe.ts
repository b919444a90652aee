import path from 'node:path';
import { ACCEPTED_IMAGE_FORMATS } from './image-formats';
import { describeBytes, type ImageBytes, type ImageRead } from './read-files.mjs';

/** Decoders refuse images above this many pixels (sharp's default): anything larger is treated as a decompression bomb. */
export const MAX_PIXELS = 268_402_689;

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

/**
 * What a read of `file` (read-files.mjs, in this thread or a worker: its size, sha256 and header, no decode) says about
 * it; throws UnreadableImage.
 */
export function probeRead(read: ImageRead, file: string): Probe {
  if ('ioError' in read) throw new UnreadableImage('io_error', read.ioError);
  return describe(read, file);
}

/** Probes bytes already in memory (a tar member, a parquet cell); `name` gives the extension to check against. */
export function probeBuffer(data: Uint8Array, name: string): Probe {
  return describe(describeBytes(Buffer.from(data.buffer, data.byteOffset, data.byteLength)), name);
}

function describe(size: ImageBytes, file: string): Probe {
  const { bytes, sha256 } = size;
  if (bytes === 0) throw new UnreadableImage('empty_file', 'file is empty (0 bytes)');
  if (size.sizeError !== null) {
    const why = /unsupported file type/i.test(size.sizeError) ? 'unknown or damaged format' : size.sizeError;
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
