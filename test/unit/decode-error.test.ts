// libvips' messages, as sharp really produces them for damaged files, come out in plain words with the raw text kept.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { plainDecodeError } from '../../main/engine/media/decode-error';

async function failure(input: Buffer): Promise<string> {
  try {
    await sharp(input, { failOn: 'error' }).raw().toBuffer();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('decoded a damaged image');
}

describe('plainDecodeError', () => {
  const image = (format: 'jpeg' | 'png' | 'webp') => {
    const noise = Buffer.from(Array.from({ length: 96 * 96 * 3 }, (_, i) => (i * 7919) % 251));
    return sharp(noise, { raw: { width: 96, height: 96, channels: 3 } }).toFormat(format).toBuffer();
  };

  it('a JPEG cut off in its image data', async () => {
    const jpeg = await image('jpeg');
    const raw = await failure(jpeg.subarray(0, Math.floor(jpeg.length * 0.6)));
    expect(plainDecodeError(raw)).toEqual({ message: 'the image is cut off (the file ends before the image does)', detail: expect.stringMatching(/VipsJpeg/) });
  });

  it('bytes of no image format', async () => {
    const raw = await failure(Buffer.from('just some text, not an image at all'));
    expect(plainDecodeError(raw).message).toBe('not an image format Winnow can read (unknown or damaged file)');
    expect(plainDecodeError(raw).detail).toBe(raw.trim());
  });

  it('a WebP whose header is cut', async () => {
    const webp = await image('webp');
    expect(plainDecodeError(await failure(webp.subarray(0, 40))).message).toBe('the WebP data is damaged');
  });

  it('repeated lines of one message are kept once in the detail', () => {
    expect(plainDecodeError('VipsJpeg: premature end of JPEG image\nVipsJpeg: premature end of JPEG image').detail).toBe('VipsJpeg: premature end of JPEG image');
  });
});
