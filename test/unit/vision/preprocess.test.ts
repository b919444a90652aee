import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { ImageDecodeError, preprocessBatch, preprocessImage } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig, type PreprocessSpec } from '../../../main/engine/vision/preprocess-spec';
import {
  BLUE,
  GREEN,
  RED,
  cmykJpeg,
  exifRotatedJpeg,
  greyscalePng,
  plainJpeg,
  sixteenBitPng,
  stripes,
  transparentPng,
  truncatedJpeg,
  type Rgb,
} from '../../fixtures/vision/images';

// Without normalization the tensor holds pixel/255, so expectations read as plain colours.
function rawSpec(config: Record<string, unknown>): PreprocessSpec {
  return preprocessSpecFromConfig(preprocessorConfigSchema.parse({ do_normalize: false, ...config }));
}

function pixel(data: Float32Array, spec: PreprocessSpec, x: number, y: number): Rgb {
  const plane = spec.width * spec.height;
  const at = (channel: number) => Math.round(data[channel * plane + y * spec.width + x] * 255);
  return { r: at(0), g: at(1), b: at(2) };
}

function expectColour(actual: Rgb, expected: Rgb, tolerance = 3) {
  expect(Math.abs(actual.r - expected.r)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(actual.g - expected.g)).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(actual.b - expected.b)).toBeLessThanOrEqual(tolerance);
}

describe('preprocessImage', () => {
  it('applies EXIF orientation before resizing and reports the oriented size', async () => {
    const spec = rawSpec({ size: { height: 40, width: 20 } });
    const image = await preprocessImage(await exifRotatedJpeg(), spec);
    expect([image.width, image.height]).toEqual([20, 40]);
    // Rotating 90° clockwise puts the stored left (red) half on top.
    expectColour(pixel(image.data, spec, 10, 5), RED, 12);
    expectColour(pixel(image.data, spec, 10, 34), BLUE, 12);
  });

  it('flattens transparency onto white', async () => {
    const spec = rawSpec({ size: { height: 16, width: 32 } });
    const image = await preprocessImage(await transparentPng(), spec);
    expectColour(pixel(image.data, spec, 4, 8), { r: 255, g: 255, b: 255 });
    expectColour(pixel(image.data, spec, 28, 8), GREEN);
  });

  it('expands greyscale to three equal channels', async () => {
    const spec = rawSpec({ size: { height: 24, width: 24 } });
    const image = await preprocessImage(await greyscalePng(100), spec);
    expect((await sharp(await greyscalePng(100)).metadata()).channels).toBe(1);
    expectColour(pixel(image.data, spec, 12, 12), { r: 100, g: 100, b: 100 });
  });

  it('reduces 16-bit PNGs to 8-bit values', async () => {
    const spec = rawSpec({ size: { height: 24, width: 24 } });
    const source = await sixteenBitPng(RED);
    expect((await sharp(source).metadata()).depth).toBe('ushort');
    expectColour(pixel((await preprocessImage(source, spec)).data, spec, 3, 3), RED, 1);
  });

  it('converts CMYK JPEGs to sRGB', async () => {
    const spec = rawSpec({ size: { height: 24, width: 24 } });
    // An in-gamut colour: saturated primaries do not survive the trip through a print profile.
    const terracotta = { r: 180, g: 120, b: 90 };
    const source = await cmykJpeg(terracotta);
    expect((await sharp(source).metadata()).space).toBe('cmyk');
    expectColour(pixel((await preprocessImage(source, spec)).data, spec, 12, 12), terracotta, 12);
  });

  it('resizes the shortest edge then center-crops (CLIP)', async () => {
    const spec = rawSpec({ size: { shortest_edge: 50 }, crop_size: { height: 50, width: 50 } });
    const source = await (await stripes(300, 100, [RED, GREEN, BLUE])).png().toBuffer();
    const image = await preprocessImage(source, spec);
    expect([image.width, image.height]).toEqual([300, 100]);
    // 300×100 → 150×50; the centred 50 px are exactly the green stripe.
    for (const x of [2, 25, 47]) expectColour(pixel(image.data, spec, x, 25), GREEN);
  });

  it('stretches to height×width without cropping (SigLIP)', async () => {
    const spec = rawSpec({ size: { height: 30, width: 30 }, do_center_crop: false });
    const source = await (await stripes(300, 100, [RED, GREEN, BLUE])).png().toBuffer();
    const image = await preprocessImage(source, spec);
    expectColour(pixel(image.data, spec, 3, 15), RED);
    expectColour(pixel(image.data, spec, 15, 15), GREEN);
    expectColour(pixel(image.data, spec, 26, 15), BLUE);
  });

  it('normalizes with mean and std into CHW order', async () => {
    const spec = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { height: 4, width: 4 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] }));
    const image = await preprocessImage(await plainJpeg(8, 8, { r: 255, g: 0, b: 255 }), spec);
    expect(image.data.length).toBe(3 * 16);
    expect(image.data[0]).toBeCloseTo(1, 1);
    expect(image.data[16]).toBeCloseTo(-1, 1);
    expect(image.data[32]).toBeCloseTo(1, 1);
  });

  it('rejects corrupt, truncated and missing images with ImageDecodeError', async () => {
    const spec = rawSpec({ size: { height: 8, width: 8 } });
    await expect(preprocessImage(Buffer.from('definitely not an image'), spec)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(preprocessImage(await truncatedJpeg(), spec)).rejects.toBeInstanceOf(ImageDecodeError);
    await expect(preprocessImage('/nonexistent/winnow/image.jpg', spec)).rejects.toThrow(/ENOENT/);
  });
});

describe('preprocessBatch', () => {
  it('fills one preallocated tensor slot by slot and reports failures per item', async () => {
    const spec = rawSpec({ size: { height: 8, width: 8 } });
    const { data, results } = await preprocessBatch([await plainJpeg(16, 16, RED), Buffer.from('bad'), await plainJpeg(16, 16, BLUE)], spec);
    expect(data.length).toBe(3 * 3 * 64);
    expect(results.map((result) => result.ok)).toEqual([true, false, true]);
    expectColour(pixel(data.subarray(0, 192), spec, 4, 4), RED, 6);
    expect(data.subarray(192, 384).every((value) => value === 0)).toBe(true);
    expectColour(pixel(data.subarray(384), spec, 4, 4), BLUE, 6);
  });
});
