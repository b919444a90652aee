import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { ACCEPTED_IMAGE_FORMATS, sniffImageFormat } from '../ingest/image-formats';
import { jpegHeader } from './jpeg-header';
import sharp from '../media/lazy-sharp';
import { isCachedInput, readInputCache, writeInputCache, type CachedInput } from './input-cache';
import { pilResizeRgb } from './pil-resample';
import { isPilFilter, tensorLength, type PreprocessSpec, type SharpKernel } from './preprocess-spec';

export type ImageInput = string | Uint8Array;
/** What the preprocessing takes: an image, or an image through the model-input cache (input-cache.ts). */
export type PreprocessInput = ImageInput | CachedInput;

export interface PreprocessedImage {
  /** CHW float32, 3 × spec.height × spec.width. */
  data: Float32Array;
  /** Size of the source image after EXIF orientation. */
  width: number;
  height: number;
}

export class ImageDecodeError extends Error {
  override name = 'ImageDecodeError';
}

interface Geometry {
  resizeWidth: number;
  resizeHeight: number;
  /** Region of the resized image that lands in the tensor, and where it lands. */
  crop: { left: number; top: number; width: number; height: number };
  padLeft: number;
  padTop: number;
}

/** Mirrors transformers' get_resize_output_image_size + center_crop so tensors match Python. */
export function computeGeometry(spec: PreprocessSpec, width: number, height: number): Geometry {
  if (spec.padToSquare) {
    // Padding to a square and then resizing equals resizing by the square's scale and padding after.
    const side = Math.max(width, height);
    const resizeWidth = Math.max(1, Math.round((width * spec.width) / side));
    const resizeHeight = Math.max(1, Math.round((height * spec.height) / side));
    return { resizeWidth, resizeHeight, crop: { left: 0, top: 0, width: resizeWidth, height: resizeHeight }, padLeft: 0, padTop: 0 };
  }
  let resizeWidth = width;
  let resizeHeight = height;
  if (spec.resize.mode === 'exact') {
    resizeWidth = spec.resize.width;
    resizeHeight = spec.resize.height;
  } else if (spec.resize.mode === 'shortest-edge') {
    const edge = spec.resize.shortestEdge;
    if (width <= height) {
      resizeWidth = edge;
      resizeHeight = Math.floor((edge * height) / width);
    } else {
      resizeHeight = edge;
      resizeWidth = Math.floor((edge * width) / height);
    }
  }
  const target = { width: spec.width, height: spec.height };
  // Python's floor division; when the image is smaller than the crop it is centred on zero padding.
  const top = Math.floor((resizeHeight - target.height) / 2);
  const left = Math.floor((resizeWidth - target.width) / 2);
  return {
    resizeWidth,
    resizeHeight,
    crop: {
      left: Math.max(0, left),
      top: Math.max(0, top),
      width: Math.min(target.width, resizeWidth),
      height: Math.min(target.height, resizeHeight),
    },
    padLeft: Math.max(0, Math.ceil((target.width - resizeWidth) / 2)),
    padTop: Math.max(0, Math.ceil((target.height - resizeHeight) / 2)),
  };
}

/** The crop window of an interleaved RGB image `width` pixels wide. */
function cropRgb(pixels: Uint8Array, width: number, crop: Geometry['crop']): Uint8Array {
  if (crop.left === 0 && crop.top === 0 && crop.width === width && crop.height * width * 3 === pixels.length) return pixels;
  const out = new Uint8Array(crop.width * crop.height * 3);
  for (let y = 0; y < crop.height; y++) {
    const from = ((crop.top + y) * width + crop.left) * 3;
    out.set(pixels.subarray(from, from + crop.width * 3), y * crop.width * 3);
  }
  return out;
}

let readSource: (file: string) => Uint8Array | Promise<Uint8Array> = (file) => readFile(file);

/**
 * For a preprocessing worker, whose thread does nothing else: files are read with blocking reads. The promise
 * read's five thread-pool round trips cost 0.4–1.2 CPU-ms per 160 KB JPEG on 2 shared cores, 10–20% of the
 * whole decode (measured in-thread, interleaved, at load ~9: 4.16 → 3.42 ms for 64 px, 6.13 → 4.84 for 224 px).
 */
export function readSourcesSynchronously(): void {
  readSource = readFileSync;
}

/** What the decode pipeline is built from: the upright size, the EXIF orientation and whether there is alpha. */
export interface DecodeProbe {
  width: number | undefined;
  height: number | undefined;
  orientation: number;
  hasAlpha: boolean;
}

/** libvips' own reading of the header (a second open of the image). */
export async function libvipsProbe(input: Uint8Array): Promise<DecodeProbe> {
  const metadata = await sharp(input).metadata();
  return { width: metadata.autoOrient?.width ?? metadata.width, height: metadata.autoOrient?.height ?? metadata.height, orientation: metadata.orientation ?? 1, hasAlpha: metadata.hasAlpha };
}

/**
 * A JPEG's probe from its marker segments (jpeg-header.ts; a JPEG has no alpha), or null when that reader is unsure:
 * the same answer as libvipsProbe (test/unit/vision/jpeg-header.test.ts) without opening the image twice.
 */
export function headerProbe(input: Uint8Array): DecodeProbe | null {
  const header = jpegHeader(input);
  if (!header) return null;
  const turned = header.orientation >= 5; // 5–8 turn the image by 90°
  return { width: turned ? header.height : header.width, height: turned ? header.width : header.height, orientation: header.orientation, hasAlpha: false };
}

async function decodeToRgb(source: string | Uint8Array, spec: PreprocessSpec) {
  // Read once: metadata and decode both need the bytes, and a missing file should fail here clearly.
  const input = typeof source === 'string' ? await readSource(source) : source;
  const format = sniffImageFormat(input);
  if (!ACCEPTED_IMAGE_FORMATS.has(format ?? '')) throw new ImageDecodeError('not an accepted image format (JPEG, PNG, WebP, GIF, AVIF/HEIF, TIFF)');
  const { width, height, orientation, hasAlpha } = (format === 'jpg' && headerProbe(input)) || (await libvipsProbe(input));
  if (!width || !height) throw new ImageDecodeError('image has no dimensions');
  const geometry = computeGeometry(spec, width, height);
  let pipeline = sharp(input, { failOn: 'warning' }).autoOrient();
  // Transparent pixels become white (what a viewer shows), not the arbitrary colour hidden under alpha.
  if (hasAlpha) pipeline = pipeline.flatten({ background: { r: 255, g: 255, b: 255 } });
  const pil = isPilFilter(spec.kernel) ? spec.kernel : null;
  // PIL's bilinear/box filters are resampled here on the decoded pixels (sharp's kernels differ, see pil-resample.ts).
  // An EXIF-oriented image is cropped here, not by sharp's extract(): with orientation on, extract() makes sharp
  // rotate before resizing, which turned JPEG shrink-on-load off for every rotated photo (a phone's portrait shots:
  // 15.3 → 5.7 CPU-ms at 64 px, 16.8 → 11.7 at 224). An upright one keeps extract(), which spares the resize the
  // cropped-off margins (0.3–0.6 ms less at 224 px than cropping here).
  const oriented = orientation > 1;
  if (!pil) {
    pipeline = pipeline.resize(geometry.resizeWidth, geometry.resizeHeight, { fit: 'fill', kernel: spec.kernel as SharpKernel });
    if (!oriented) pipeline = pipeline.extract(geometry.crop);
  }
  // CMYK (through its ICC profile or sharp's default one), greyscale and 16-bit all end as 8-bit sRGB.
  pipeline = pipeline.toColourspace('srgb').removeAlpha();
  const { data: decoded, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || decoded.length !== info.width * info.height * 3) {
    throw new ImageDecodeError(`unexpected decoded layout: ${info.width}x${info.height}x${info.channels}, ${decoded.length} bytes`);
  }
  if (!pil && oriented && (info.width !== geometry.resizeWidth || info.height !== geometry.resizeHeight)) {
    throw new ImageDecodeError(`resized to ${info.width}x${info.height}, expected ${geometry.resizeWidth}x${geometry.resizeHeight}`);
  }
  const resized = pil ? pilResizeRgb(decoded, info.width, info.height, geometry.resizeWidth, geometry.resizeHeight, pil) : decoded;
  const pixels = pil || oriented ? cropRgb(resized, geometry.resizeWidth, geometry.crop) : decoded;
  return { pixels, geometry, width, height };
}

const cropCounters = new WeakMap<PreprocessSpec, (width: number, height: number) => number>();
/** One counter per spec, not a closure per entry read. */
function cropPixels(spec: PreprocessSpec): (width: number, height: number) => number {
  let count = cropCounters.get(spec);
  if (!count) {
    count = (width, height) => {
      const { crop } = computeGeometry(spec, width, height);
      return crop.width * crop.height;
    };
    cropCounters.set(spec, count);
  }
  return count;
}

const readEntry = (input: CachedInput, spec: PreprocessSpec, reuse = false) => (input.fresh ? readInputCache(input.cache, spec, input.stamp, cropPixels(spec), input.requireExact, reuse) : null);

/** A fresh cache entry's pixels, else the source decoded (and, for a cached input, the entry written). */
async function decodeThroughCache(input: PreprocessInput, spec: PreprocessSpec) {
  if (!isCachedInput(input)) return decodeToRgb(input, spec);
  const cached = readEntry(input, spec);
  if (cached) return cached;
  const decoded = await decodeToRgb(input.source, spec);
  writeInputCache(input.cache, spec, decoded, input.exact === true, input.stamp);
  return decoded;
}

/**
 * Makes sure a cache entry exists (decoding the source when none is usable) without building the tensor:
 * what the import-time pass does (inputs-job.ts). Returns the image's upright size.
 */
export async function prepareInputCache(input: CachedInput, spec: PreprocessSpec): Promise<{ width: number; height: number }> {
  const { width, height } = await decodeChecked(input, spec);
  return { width, height };
}

/** Every failure to turn an input into pixels is an ImageDecodeError (a per-image failure, not a crash). */
async function decodeChecked(input: PreprocessInput, spec: PreprocessSpec): Promise<{ pixels: Uint8Array; width: number; height: number }> {
  try {
    return await decodeThroughCache(input, spec);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    throw new ImageDecodeError((error as Error).message);
  }
}

/**
 * Each channel's normalized value of every 8-bit level, computed as `level × rescale / std − mean / std` in
 * float64 and rounded to float32 once: exactly what computing it per pixel stores, at a table read per value.
 */
const levelTables = new WeakMap<PreprocessSpec, Float32Array>();

function levelTable(spec: PreprocessSpec): Float32Array {
  let table = levelTables.get(spec);
  if (!table) {
    table = new Float32Array(3 * 256);
    for (let channel = 0; channel < 3; channel++) {
      const scale = spec.rescale / spec.std[channel];
      const shift = spec.mean[channel] / spec.std[channel];
      for (let level = 0; level < 256; level++) table[channel * 256 + level] = level * scale - shift;
    }
    levelTables.set(spec, table);
  }
  return table;
}

/**
 * Writes decoded pixels (the crop, RGB) into `target` at `offset` as the normalized CHW tensor. One pass over the
 * interleaved pixels writing all three planes, through the level table: half the CPU of a pass per channel with
 * the arithmetic per value (64 px: 15 → 8.5 µs per image), which counts on the model-input cache's path.
 */
function normalizeInto(decoded: { pixels: Uint8Array; width: number; height: number }, spec: PreprocessSpec, target: Float32Array, offset: number): void {
  const { pixels } = decoded;
  const geometry = computeGeometry(spec, decoded.width, decoded.height);
  const plane = spec.height * spec.width;
  if (target.length < offset + 3 * plane) throw new RangeError('target tensor too small for this image');
  const { crop, padLeft, padTop } = geometry;
  if (crop.width !== spec.width || crop.height !== spec.height) {
    for (let channel = 0; channel < 3; channel++) {
      // Padding is the normalized value of a black pixel, as transformers pads before normalizing (OWLv2: grey).
      const shift = spec.mean[channel] / spec.std[channel];
      const base = offset + channel * plane;
      target.fill(spec.padToSquare ? spec.padToSquare.value / spec.std[channel] - shift : -shift, base, base + plane);
    }
  }
  const table = levelTable(spec);
  for (let y = 0; y < crop.height; y++) {
    let red = offset + (y + padTop) * spec.width + padLeft;
    const end = red + crop.width;
    let source = y * crop.width * 3;
    for (; red < end; red++, source += 3) {
      target[red] = table[pixels[source]];
      target[red + plane] = table[256 + pixels[source + 1]];
      target[red + 2 * plane] = table[512 + pixels[source + 2]];
    }
  }
}

/**
 * A fresh model-input cache entry as a tensor (written into `target` when given), on the calling thread: a
 * ~12 KB read and a normalize (~0.1 ms) cost less than handing the image to a worker and back. Null when the
 * entry cannot be used.
 */
export function preprocessFromCache(input: CachedInput, spec: PreprocessSpec, target?: Float32Array): PreprocessedImage | null {
  // The pixels are normalized before anything else can read an entry, so the read buffer is reused.
  const cached = readEntry(input, spec, true);
  if (!cached) return null;
  const data = target ?? new Float32Array(tensorLength(spec));
  normalizeInto(cached, spec, data, 0);
  return { data, width: cached.width, height: cached.height };
}

/**
 * Decodes and preprocesses one image into `target` at `offset` (floats). Writing in place lets a
 * batch fill one preallocated tensor without per-image copies.
 */
export async function preprocessInto(input: PreprocessInput, spec: PreprocessSpec, target: Float32Array, offset = 0): Promise<{ width: number; height: number }> {
  const decoded = await decodeChecked(input, spec);
  normalizeInto(decoded, spec, target, offset);
  return { width: decoded.width, height: decoded.height };
}

export async function preprocessImage(input: PreprocessInput, spec: PreprocessSpec): Promise<PreprocessedImage> {
  const data = new Float32Array(tensorLength(spec));
  const size = await preprocessInto(input, spec, data);
  return { data, ...size };
}

export type BatchItemResult = { ok: true; width: number; height: number } | { ok: false; reason: string };

/**
 * Preprocesses a batch into one preallocated tensor; slot i holds image i. Failed slots are left
 * as zeros and reported, so callers decide whether to drop them or run them anyway.
 */
export async function preprocessBatch(
  inputs: readonly ImageInput[],
  spec: PreprocessSpec,
  target: Float32Array = new Float32Array(inputs.length * tensorLength(spec)),
): Promise<{ data: Float32Array; results: BatchItemResult[] }> {
  const length = tensorLength(spec);
  const results = await Promise.all(
    inputs.map(async (input, index): Promise<BatchItemResult> => {
      try {
        return { ok: true, ...(await preprocessInto(input, spec, target, index * length)) };
      } catch (error) {
        target.fill(0, index * length, (index + 1) * length);
        return { ok: false, reason: (error as Error).message };
      }
    }),
  );
  return { data: target, results };
}
