// Image preprocessing per processor family against Transformers.js (a reference Winnow does not own) on the
// same image and the same preprocessor_config.json. Tolerances are in normalized units (1 grey level ≈ 0.015
// with CLIP's std): both resize with different filters, so tensors agree closely but not bit for bit. Which one
// is closer to Python's processors is measured outside CI by `npm run bench:preprocess` (a PIL replica): for
// PIL's BILINEAR (CLIPSeg, resample 2) Winnow resamples like Pillow itself and is byte-exact with it
// (test/unit/vision/pil-resample.test.ts), so what is left here is Transformers.js's own distance from Python.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { PROCESSOR_CONFIGS } from '../../fixtures/vision/processor-configs';

const W = 640;
const H = 480;
let root: string;
let photo: Buffer;
let transformers: typeof import('@huggingface/transformers');

/** Smooth content with edges, like a photograph: gradients, a sinusoid and two hard-edged discs. */
async function photoLike(width: number, height: number): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inDisc = (x - width * 0.3) ** 2 + (y - height * 0.4) ** 2 < (height * 0.15) ** 2;
      const inDisc2 = (x - width * 0.7) ** 2 + (y - height * 0.6) ** 2 < (height * 0.2) ** 2;
      raw.set(inDisc ? [230, 40, 40] : inDisc2 ? [30, 60, 220] : [(x * 255) / width, 128 + 90 * Math.sin(x / 60) * Math.cos(y / 45), (y * 255) / height], (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).png().toBuffer();
}

async function theirs(family: string, image: Buffer, config = PROCESSOR_CONFIGS[family]): Promise<{ data: Float32Array; dims: number[] }> {
  const dir = path.join(root, `${family}-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'preprocessor_config.json'), JSON.stringify(config));
  const processor = await transformers.AutoImageProcessor.from_pretrained(path.basename(dir));
  const file = path.join(dir, 'image.png');
  writeFileSync(file, image);
  const { pixel_values } = await processor(await transformers.RawImage.read(file));
  return { data: pixel_values.data as Float32Array, dims: pixel_values.dims as number[] };
}

async function ours(family: string, image: Buffer) {
  return (await preprocessImage(image, preprocessSpecFromConfig(preprocessorConfigSchema.parse(PROCESSOR_CONFIGS[family])))).data;
}

function meanAbs(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'winnow-oracle-'));
  transformers = await import('@huggingface/transformers');
  transformers.env.allowRemoteModels = false;
  transformers.env.localModelPath = root;
  photo = await photoLike(W, H);
}, 60_000);

describe('preprocessing matches Transformers.js per processor family', () => {
  // Measured on this image: clip 0.0093, siglip 0.0060, owlvit 0.0092, clipseg 0.0047, owlv2 (padded) 0.0083
  // (mean abs, normalized units); the tolerance is 0.012 (under one grey level on average) for every family.
  it.each([['clip', 0.012], ['siglip', 0.012], ['owlvit', 0.012], ['clipseg', 0.012]])('%s: same shape, mean abs difference ≤ %s', async (family, tolerance) => {
    const reference = await theirs(family, photo);
    const mine = await ours(family, photo);
    expect(mine.length).toBe(reference.data.length);
    const measured = meanAbs(mine, reference.data);
    console.log(`${family}: mean abs difference vs Transformers.js ${measured.toFixed(4)}`);
    expect(measured).toBeLessThanOrEqual(tolerance);
  });

  it('clipseg on fine detail: within Transformers.js\'s own distance from PIL (before the PIL-style bilinear, 0.19 away)', async () => {
    // Fine detail is where resampling filters differ most. Winnow's CLIPSeg tensor equals Pillow's here, and
    // bench:preprocess measured Transformers.js 0.023 from Pillow on this image; sharp's linear kernel was 0.195.
    const raw = Buffer.alloc(333 * 500 * 3);
    for (let y = 0; y < 500; y++) for (let x = 0; x < 333; x++) raw.set([(x * 7) & 255, 127 + 127 * Math.sin(x / 3 + y / 5), (x ^ y) & 255], (y * 333 + x) * 3);
    const detail = await sharp(raw, { raw: { width: 333, height: 500, channels: 3 } }).png().toBuffer();
    const measured = meanAbs(await ours('clipseg', detail), (await theirs('clipseg', detail)).data);
    console.log(`clipseg (detail): mean abs difference vs Transformers.js ${measured.toFixed(4)}`);
    expect(measured).toBeLessThanOrEqual(0.03);
  });

  it('owlv2 pads to a square with grey 0.5 before resizing, as the Python processor does (Transformers.js stretches instead)', async () => {
    const mine = await ours('owlv2', photo);
    // Reference: pad the image the Python way ourselves (grey 128 ≈ 0.502), then let Transformers.js resize and normalize it.
    const padded = await sharp(photo).extend({ bottom: W - H, right: 0, background: { r: 128, g: 128, b: 128 } }).png().toBuffer();
    const reference = await theirs('owlv2', padded);
    expect(reference.dims).toEqual([1, 3, 960, 960]);
    const measured = meanAbs(mine, reference.data);
    console.log(`owlv2: mean abs difference vs Transformers.js on the padded image ${measured.toFixed(4)}`);
    expect(measured).toBeLessThanOrEqual(0.012);
    // The rows below the image hold exactly the normalized grey.
    const config = PROCESSOR_CONFIGS.owlv2 as { image_mean: number[]; image_std: number[] };
    const lastRow = mine.subarray(959 * 960, 960 * 960);
    expect(lastRow.every((v) => Math.abs(v - (0.5 - config.image_mean[0]) / config.image_std[0]) < 1e-5)).toBe(true);
    // Transformers.js 4.3 stretches the whole image to 960×960: far from the Python result.
    expect(meanAbs(mine, (await theirs('owlv2', photo)).data)).toBeGreaterThan(0.2);
  });

  it('refuses a SAM config on the fixed-size path (SAM has its own longest-side + padding preprocessing)', () => {
    expect(() => preprocessSpecFromConfig(preprocessorConfigSchema.parse({ image_processor_type: 'SamImageProcessor', size: { longest_edge: 1024 } }))).toThrow(/Segment Anything/);
  });
});
