// The model-input cache's read path (input-cache.ts readInputCache, preprocess.ts preprocessFromCache): entries are
// read into a reused buffer and normalized in one pass through a per-level table. Checked against the arithmetic
// written out per pixel and channel (level × rescale / std − mean / std, padding at the normalized pad value), bit
// for bit, on full crops, letterboxed OWLv2 inputs and crops larger than the resized image; and every damaged
// entry (cut short, one byte too long, another spec's, another source file's stamp) is refused.
import { appendFileSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeInputCache } from '../../../main/engine/vision/input-cache';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { computeGeometry, preprocessFromCache } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig, tensorLength, type PreprocessSpec } from '../../../main/engine/vision/preprocess-spec';
import { tempDir } from '../../fixtures/images';

const CLIP = { size: { shortest_edge: 64 }, crop_size: { height: 64, width: 64 }, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] };
const specs: Record<string, PreprocessSpec> = {
  clip: preprocessSpecFromConfig(preprocessorConfigSchema.parse(CLIP)),
  owlv2: preprocessSpecFromConfig(preprocessorConfigSchema.parse({ image_processor_type: 'Owlv2ImageProcessor', size: { height: 64, width: 64 }, image_mean: [0.5, 0.4, 0.3], image_std: [0.2, 0.3, 0.25] })),
  // Resized to 48×48, then a 64×64 "crop": the image sits in the middle of a padded tensor.
  padded: preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { height: 48, width: 48 }, crop_size: { height: 64, width: 64 }, do_center_crop: true, image_mean: [0.1, 0.2, 0.3], image_std: [0.5, 0.6, 0.7] })),
};

/** The tensor written out the slow way: every value from its formula, padding from the pad value. */
function expected(spec: PreprocessSpec, pixels: Uint8Array, width: number, height: number): Float32Array {
  const { crop, padLeft, padTop } = computeGeometry(spec, width, height);
  const plane = spec.width * spec.height;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const pad = ((spec.padToSquare?.value ?? 0) - spec.mean[c]) / spec.std[c];
    for (let y = 0; y < spec.height; y++) {
      for (let x = 0; x < spec.width; x++) {
        const [cx, cy] = [x - padLeft, y - padTop];
        const inside = cx >= 0 && cy >= 0 && cx < crop.width && cy < crop.height;
        out[c * plane + y * spec.width + x] = inside ? pixels[(cy * crop.width + cx) * 3 + c] * (spec.rescale / spec.std[c]) - spec.mean[c] / spec.std[c] : pad;
      }
    }
  }
  return out;
}

function randomPixels(count: number, seed: number): Uint8Array {
  const out = new Uint8Array(count * 3);
  let state = seed;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  // Every level appears, the extremes included.
  for (let level = 0; level < 256 && level < out.length; level++) out[level] = level;
  return out;
}

// A source file's stamp (media/source-stamp.ts): what the entry was made from, as the reader expects it.
const STAMP = Uint8Array.from({ length: 24 }, (_, i) => i * 7 + 1);

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('model-input cache reads', () => {
  it('give the per-pixel formula’s tensor bit for bit: full crops, letterboxed and padded inputs, one entry after another', async () => {
    const dir = await tempDir();
    const cases: [string, number, number][] = [['clip', 960, 720], ['clip', 500, 900], ['owlv2', 1000, 500], ['owlv2', 300, 900], ['padded', 640, 480]];
    const entries = cases.map(([name, width, height], k) => {
      const spec = specs[name];
      const { crop } = computeGeometry(spec, width, height);
      const pixels = randomPixels(crop.width * crop.height, k + 1);
      const file = path.join(dir, `${k}.rgb`);
      writeInputCache(file, spec, { pixels, width, height }, true, STAMP);
      return { spec, file, pixels, width, height, crop };
    });
    // Some inputs must leave padding, or the padded branch goes untested.
    expect(entries.some((e) => e.crop.width * e.crop.height < e.spec.width * e.spec.height)).toBe(true);
    const tensors = entries.map((e) => {
      // A tensor slot that already holds other values: padding must be written, not assumed.
      const target = new Float32Array(tensorLength(e.spec)).fill(7);
      const read = preprocessFromCache({ source: '/nonexistent.jpg', cache: e.file, fresh: true, stamp: STAMP }, e.spec, target);
      expect(read).not.toBeNull();
      expect([read!.width, read!.height]).toEqual([e.width, e.height]);
      return target;
    });
    // Checked after every entry is read: a tensor must not share the reused read buffer.
    for (const [k, e] of entries.entries()) expect(sameBits(tensors[k], expected(e.spec, e.pixels, e.width, e.height))).toBe(true);
  });

  it('refuses an entry cut short, one byte too long, of another preprocessing, of another source file, or missing', async () => {
    const dir = await tempDir();
    const spec = specs.clip;
    const write = (name: string) => {
      const file = path.join(dir, name);
      writeInputCache(file, spec, { pixels: randomPixels(64 * 64, 9), width: 800, height: 600 }, true, STAMP);
      return file;
    };
    const read = (file: string, s = spec, stamp = STAMP) => preprocessFromCache({ source: '/nonexistent.jpg', cache: file, fresh: true, stamp }, s);
    expect(read(write('good.rgb'))).not.toBeNull();
    const long = write('long.rgb');
    appendFileSync(long, Buffer.from([0]));
    expect(read(long)).toBeNull();
    const short = write('short.rgb');
    truncateSync(short, statSync(short).size - 1);
    expect(read(short)).toBeNull();
    // Longer than any entry can be (128 × 128 pixels): refused by the read itself, and the next entry still reads.
    const huge = write('huge.rgb');
    appendFileSync(huge, Buffer.alloc(128 * 128 * 3));
    expect(read(huge)).toBeNull();
    expect(read(path.join(dir, 'good.rgb'))).not.toBeNull();
    expect(read(write('other.rgb'), specs.owlv2)).toBeNull();
    // Made from another file (or the same path holding another picture): any byte of the stamp differing refuses it.
    for (const at of [0, 7, 8, 15, 16, 23]) {
      const other = STAMP.slice();
      other[at] ^= 1;
      expect(read(path.join(dir, 'good.rgb'), spec, other)).toBeNull();
    }
    expect(read(path.join(dir, 'good.rgb'), spec, new Uint8Array(0))).toBeNull();
    expect(read(path.join(dir, 'absent.rgb'))).toBeNull();
    expect(read(dir)).toBeNull();
  });
});
