// The image formats Winnow decodes, checked on the bytes before any decoder sees them: libvips would also parse SVG (which can
// reference other files), PDF and more, whatever the file is named.
import { imageSize } from './lazy-image-size';

export const ACCEPTED_IMAGE_FORMATS: ReadonlySet<string> = new Set(['jpg', 'png', 'webp', 'gif', 'avif', 'heif', 'tiff']);

export class RefusedImageFormat extends Error {
  override name = 'RefusedImageFormat';
}

/** The format the bytes really hold (by signature, not by name), or null when none is recognised. */
export function sniffImageFormat(header: Uint8Array): string | null {
  try {
    return imageSize(header).type ?? null;
  } catch {
    return null;
  }
}

/** Throws unless the bytes are one of the accepted raster formats; returns that format. */
export function assertAcceptedImage(header: Uint8Array): string {
  const format = sniffImageFormat(header);
  if (!format || !ACCEPTED_IMAGE_FORMATS.has(format)) {
    throw new RefusedImageFormat(`${format ?? 'unrecognised'} content is not an accepted image format (JPEG, PNG, WebP, GIF, AVIF/HEIF, TIFF)`);
  }
  return format;
}
