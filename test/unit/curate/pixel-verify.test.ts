// Pixel verification of near-duplicate candidates on generated pictures: copies (re-encode, resize,
// brighten, crop) align, a different picture of the same kind does not.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { fingerprintBytes } from '../../../main/engine/curate/fingerprint-file';
import { alignmentScore, DEFAULT_MIN_ALIGNMENT, FP_SIZE, fingerprint } from '../../../main/engine/curate/pixel-verify';
import { Rng } from '../../../main/synthetic/random';

/** A 240×180 picture: smooth blobs over a textured background, all drawn from the seed. */
function picture(seed: string, w = 240, h = 180): Buffer {
  const rng = new Rng(seed);
  const px = Buffer.alloc(w * h * 3);
  const blobs = Array.from({ length: 5 }, () => ({ x: rng.uniform(0, w), y: rng.uniform(0, h), r: rng.uniform(15, 50), c: [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)] }));
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const t = 100 + 40 * Math.sin(x / 7 + rng.uniform(0, 0.3)) * Math.cos(y / 9);
      px[i] = px[i + 1] = px[i + 2] = t;
      for (const b of blobs) {
        if ((x - b.x) ** 2 + (y - b.y) ** 2 < b.r ** 2) for (let c = 0; c < 3; c++) px[i + c] = b.c[c];
      }
    }
  }
  return px;
}

const jpeg = (raw: Buffer, w = 240, h = 180, q = 90) => sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: q }).toBuffer();

describe('pixel verification', () => {
  it('copies align above the default threshold; another picture does not', async () => {
    const original = await jpeg(picture('a'));
    const fa = await fingerprintBytes(original);
    const score = async (bytes: Buffer) => alignmentScore(fa, await fingerprintBytes(bytes));
    const reencode = await score(await sharp(original).jpeg({ quality: 55 }).toBuffer());
    const resized = await score(await sharp(original).resize(180, 135, { fit: 'fill' }).jpeg().toBuffer());
    const brighter = await score(await sharp(original).linear(1.3, 0).jpeg().toBuffer());
    const cropped = await score(await sharp(original).extract({ left: 14, top: 5, width: 210, height: 165 }).jpeg().toBuffer());
    const other = await score(await jpeg(picture('b')));
    console.log('alignment', { reencode, resized, brighter, cropped, other });
    for (const s of [reencode, resized, brighter, cropped]) expect(s).toBeGreaterThanOrEqual(DEFAULT_MIN_ALIGNMENT);
    expect(other).toBeLessThan(DEFAULT_MIN_ALIGNMENT);
    // Symmetric: which image is the crop does not matter.
    const fc = await fingerprintBytes(await sharp(original).extract({ left: 14, top: 5, width: 210, height: 165 }).jpeg().toBuffer());
    expect(alignmentScore(fc, fa)).toBeCloseTo(cropped, 5);
  });

  it('a crop beyond the allowed fraction is not a copy', async () => {
    const original = await jpeg(picture('c'));
    const half = await sharp(original).extract({ left: 60, top: 45, width: 120, height: 90 }).jpeg().toBuffer();
    expect(alignmentScore(await fingerprintBytes(original), await fingerprintBytes(half))).toBeLessThan(DEFAULT_MIN_ALIGNMENT);
  });

  it('flat images only match flat images', () => {
    const flat = fingerprint(10, 10, new Float32Array(FP_SIZE * FP_SIZE).fill(80));
    const textured = fingerprint(10, 10, Float32Array.from({ length: FP_SIZE * FP_SIZE }, (_, i) => (i * 37) % 255));
    expect(alignmentScore(flat, flat)).toBe(1);
    expect(alignmentScore(flat, textured)).toBe(0);
  });
});
