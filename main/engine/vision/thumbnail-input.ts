// When a cached thumbnail may feed the model instead of the original file. Decoding a 320-px WebP costs a
// fraction of a 512–4000-px JPEG, and for a model whose input is 64–256 px the thumbnail holds every pixel
// the processor's resize keeps. Thumbnails are made when the grid first shows an item (media.ts), not at import.
import { type BigIntStats, readFileSync } from 'node:fs';
import { imageSize } from '../ingest/lazy-image-size';
import { thumbnailPath } from '../media/media';
import { currentStamp } from '../media/source-stamp';
import { thumbnailWebp } from '../media/thumbnail-file';
import { computeGeometry } from './preprocess';
import type { PreprocessSpec } from './preprocess-spec';

interface Size { width: number; height: number }

/**
 * The rule: the thumbnail must be a real downscale of the original (else the original is no dearer to
 * decode and the thumbnail only adds WebP loss) and at least as large, on each side, as the image the
 * processor resizes the original to before cropping. Resizing the thumbnail is then a downscale too, and
 * the model sees the same picture up to resampling noise (test/integration/embed-thumbnails.test.ts
 * holds it to cosine ≥ 0.99 against full decoding).
 */
export function thumbnailCovers(spec: PreprocessSpec, original: Size, thumb: Size): boolean {
  if (spec.resize.mode === 'none') return false;
  if (thumb.width >= original.width || thumb.height >= original.height) return false;
  const { resizeWidth, resizeHeight } = computeGeometry(spec, original.width, original.height);
  return thumb.width >= resizeWidth && thumb.height >= resizeHeight;
}

/**
 * The item's cached thumbnail when the rule allows it and it was made from `file` as it is now (its stamp,
 * thumbnail-file.ts: a file replaced by another picture with an older mtime is not "unchanged"); else null (embed
 * the original). `original` is the item's stored, upright size; `fileStats`, `file`'s stat when the caller has it.
 */
export function thumbnailInput(thumbsDir: string, itemId: number, file: string, original: { width: number | null; height: number | null }, spec: PreprocessSpec, fileStats?: BigIntStats): string | null {
  if (!original.width || !original.height) return null;
  const stamp = currentStamp(file, fileStats);
  if (!stamp) return null;
  const thumb = thumbnailPath(thumbsDir, itemId);
  try {
    // The whole file (a 320-px WebP, ~10–20 KB): its stamp is at the end, and decoding it follows.
    const webp = thumbnailWebp(readFileSync(thumb), stamp);
    if (!webp) return null;
    const size = imageSize(webp);
    if (!size.width || !size.height) return null;
    return thumbnailCovers(spec, { width: original.width, height: original.height }, { width: size.width, height: size.height }) ? thumb : null;
  } catch {
    return null; // no thumbnail yet, or an unreadable one: the original is always right
  }
}
