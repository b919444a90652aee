import sharp from 'sharp';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export const FORMAT_EXTENSION: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

export interface EncodeOptions {
  format: ImageFormat;
  /** jpeg / webp quality 1-100. */
  quality: number;
  /** Gaussian blur sigma; values below sharp's minimum of 0.3 are visually nil and skipped. */
  blurSigma?: number;
}

const MIN_SHARP_SIGMA = 0.3;

/** Raw RGB -> encoded file bytes in one sharp pipeline (no intermediate copies). */
export async function encodeRgb(rgb: Buffer, width: number, height: number, options: EncodeOptions): Promise<Buffer> {
  let image = sharp(rgb, { raw: { width, height, channels: 3 } });
  if (options.blurSigma !== undefined && options.blurSigma >= MIN_SHARP_SIGMA) image = image.blur(options.blurSigma);
  switch (options.format) {
    case 'jpeg':
      return image.jpeg({ quality: options.quality }).toBuffer();
    case 'png':
      return image.png({ compressionLevel: 6 }).toBuffer();
    case 'webp':
      return image.webp({ quality: options.quality }).toBuffer();
  }
}

/** Decodes any supported file to raw RGB (alpha dropped). */
export async function decodeToRgb(bytes: Buffer): Promise<{ rgb: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return { rgb: data, width: info.width, height: info.height };
}
