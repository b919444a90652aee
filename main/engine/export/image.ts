import sharp from '../media/lazy-sharp';
import { MAX_PIXELS } from '../ingest/probe';
import type { OptionSpec } from './types';

export const IMAGE_OPTIONS: OptionSpec[] = [
  { name: 'resize', label: 'Max image side (px)', type: 'number', default: null, description: 'Shrink images so the longer side is at most this many pixels (never enlarges)', min: 8, max: 16384 },
  { name: 'reencode', label: 'Re-encode images', type: 'enum', default: 'keep', choices: ['keep', 'jpg', 'png', 'webp'], description: 'Re-encode images (keep = copy bytes unchanged)' },
  { name: 'quality', label: 'Quality', type: 'number', default: 95, min: 1, max: 100, description: 'JPEG/WebP quality when re-encoding' },
];

export interface OutImage { data: Buffer; ext: string; width: number | null; height: number | null; original: { width: number | null; height: number | null } }

/** Copies bytes unchanged, or resizes / re-encodes them with sharp, per the image options. */
export async function prepareImage(data: Buffer, ext: string, width: number | null, height: number | null, options: Record<string, unknown>): Promise<OutImage> {
  const resize = options.resize as number | null;
  const reencode = (options.reencode as string | undefined) ?? 'keep';
  const needsResize = resize !== null && resize !== undefined && (width === null || height === null || Math.max(width, height) > resize);
  if (!needsResize && reencode === 'keep') return { data, ext, width, height, original: { width, height } };
  const target = reencode === 'keep' ? (ext === 'png' || ext === 'webp' ? ext : 'jpg') : reencode;
  let img = sharp(data, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate();
  if (needsResize) img = img.resize({ width: resize!, height: resize!, fit: 'inside', withoutEnlargement: true });
  const quality = (options.quality as number | undefined) ?? 95;
  img = target === 'png' ? img.png() : target === 'webp' ? img.webp({ quality }) : img.jpeg({ quality });
  const { data: out, info } = await img.toBuffer({ resolveWithObject: true });
  return { data: out, ext: target, width: info.width, height: info.height, original: { width, height } };
}
