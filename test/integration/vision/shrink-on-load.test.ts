// The preprocessing path lets libvips decode large JPEGs at 1/2..1/8 scale (shrink-on-load, ~4× less
// work for a 64-px model, see the issue note). Parity: embeddings from that path agree with embeddings
// of the same pixels decoded at full size (a lossless PNG of the full decode cannot be shrunk on load).
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ClipModel } from '../../../main/engine/vision/clip-model';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';

/** A photo-like JPEG: smooth fields, a disc, edges and mild noise (deterministic). */
async function photo(width: number, height: number, seed: number): Promise<Buffer> {
  const px = Buffer.alloc(width * height * 3);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const [fx, fy, cx, cy, r] = [0.01 + rnd() * 0.03, 0.01 + rnd() * 0.03, rnd() * width, rnd() * height, (0.2 + rnd() * 0.2) * Math.min(width, height)];
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 3) {
      const inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r;
      const wave = Math.sin(x * fx) * Math.cos(y * fy);
      const noise = (rnd() - 0.5) * 20;
      px[o] = Math.max(0, Math.min(255, 120 + 90 * wave + (inside ? 70 : 0) + noise));
      px[o + 1] = Math.max(0, Math.min(255, 110 + 60 * Math.cos(x * fy) + noise));
      px[o + 2] = Math.max(0, Math.min(255, inside ? 40 + noise : 170 + 50 * wave + noise));
    }
  }
  return sharp(px, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

describe('JPEG shrink-on-load', () => {
  it('embeds like a full-size decode of the same image', async () => {
    const model = await ClipModel.load(BUILTIN_MODEL_DIR, { threads: 1 });
    try {
      for (const [w, h, seed] of [[900, 700, 1], [1024, 512, 2], [640, 960, 3]]) {
        const jpeg = await photo(w, h, seed);
        const fullDecode = await sharp(jpeg).png({ compressionLevel: 0 }).toBuffer();
        const [shrunk, full] = [await preprocessImage(jpeg, model.preprocess), await preprocessImage(fullDecode, model.preprocess)];
        expect([shrunk.width, shrunk.height]).toEqual([w, h]);
        // Pixel level: same image, small resampling differences only (values are normalized, ~[-2, 2]).
        let diff = 0;
        for (let i = 0; i < full.data.length; i++) diff += Math.abs(full.data[i] - shrunk.data[i]);
        expect(diff / full.data.length).toBeLessThan(0.05);
        const emb = (await model.embedImages(new Float32Array([...shrunk.data, ...full.data]), 2)).embeddings;
        expect(cosine(emb.subarray(0, model.dim), emb.subarray(model.dim))).toBeGreaterThan(0.99);
      }
    } finally {
      await model.dispose();
    }
  });
});
