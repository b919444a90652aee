// The preprocessing path lets libvips decode large JPEGs at 1/2..1/8 scale (shrink-on-load: sharp's resize picks
// the JPEG DCT scale from the target size; for a 64-px model 3.5 instead of ~9 CPU-ms per 0.6-MP photo). Parity:
// tensors and embeddings from that path agree with those of the same pixels decoded at full size (a lossless PNG
// of the full, upright, sRGB decode, which cannot be shrunk on load), for baseline and progressive JPEGs, odd
// sizes, EXIF rotation and CMYK, at the built-in model's 64 px and CLIP's 224 px.
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { ClipModel } from '../../../main/engine/vision/clip-model';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig, type PreprocessSpec } from '../../../main/engine/vision/preprocess-spec';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';
import { PROCESSOR_CONFIGS } from '../../fixtures/vision/processor-configs';

/** Photo-like pixels: smooth fields, a disc, edges and mild noise (deterministic). */
function photoPixels(width: number, height: number, seed: number): Buffer {
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
  return px;
}

interface Case {
  name: string;
  jpeg: Buffer;
  /** Upright size. */
  size: [number, number];
}

async function cases(): Promise<Case[]> {
  const photo = (w: number, h: number, seed: number) => sharp(photoPixels(w, h, seed), { raw: { width: w, height: h, channels: 3 } });
  return [
    { name: 'baseline 900×700', jpeg: await photo(900, 700, 1).jpeg({ quality: 90 }).toBuffer(), size: [900, 700] },
    { name: 'odd size 1023×517', jpeg: await photo(1023, 517, 2).jpeg({ quality: 90 }).toBuffer(), size: [1023, 517] },
    { name: 'progressive 1024×1000', jpeg: await photo(1024, 1000, 3).jpeg({ quality: 85, progressive: true }).toBuffer(), size: [1024, 1000] },
    // Stored 960×640, shown 640×960.
    { name: 'EXIF orientation 6', jpeg: await photo(960, 640, 4).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer(), size: [640, 960] },
    { name: 'CMYK 800×600', jpeg: await photo(800, 600, 5).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer(), size: [800, 600] },
    { name: '4:4:4 chroma 751×563', jpeg: await photo(751, 563, 6).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer(), size: [751, 563] },
  ];
}

/** The full decode, upright and sRGB, as a lossless PNG: what the preprocessing would see without shrink-on-load. */
const fullDecode = (jpeg: Buffer) => sharp(jpeg).autoOrient().toColourspace('srgb').png({ compressionLevel: 0 }).toBuffer();

function meanAbsDiff(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((sum, x, i) => sum + x * b[i], 0);

describe('JPEG shrink-on-load', () => {
  const clip224 = preprocessSpecFromConfig(preprocessorConfigSchema.parse(PROCESSOR_CONFIGS.clip));

  async function compare(spec: PreprocessSpec, item: Case) {
    const [fast, full] = [await preprocessImage(item.jpeg, spec), await preprocessImage(await fullDecode(item.jpeg), spec)];
    expect([fast.width, fast.height], item.name).toEqual(item.size);
    return { fast, full, diff: meanAbsDiff(fast.data, full.data) };
  }

  it('gives the 64-px model the tensors and embeddings of a full-size decode', async () => {
    const model = await ClipModel.load(BUILTIN_MODEL_DIR, { threads: 1 });
    try {
      for (const item of await cases()) {
        const { fast, full, diff } = await compare(model.preprocess, item);
        // Normalized units (1 grey level ≈ 0.015): resampling differences only (measured 0.007–0.035; the 1/8
        // DCT scale then a ~1.4× cubic reduce). A rotation lost on the reduced-size path measured 0.88.
        expect(diff, item.name).toBeLessThan(0.05);
        // Not vacuous: the JPEG really went the reduced-size way (a full decode would match the PNG bit for bit).
        expect(diff, item.name).toBeGreaterThan(0);
        const emb = (await model.embedImages(new Float32Array([...fast.data, ...full.data]), 2)).embeddings;
        expect(cosine(emb.subarray(0, model.dim), emb.subarray(model.dim)), item.name).toBeGreaterThan(0.99);
      }
    } finally {
      await model.dispose();
    }
  });

  it('gives a 224-px CLIP processor the tensors of a full-size decode', async () => {
    for (const item of await cases()) {
      const { diff } = await compare(clip224, item);
      // Measured 0–0.009 (0 where sharp decodes at full size: its rule shrinks on load only from 3× down).
      expect(diff, item.name).toBeLessThan(0.05);
    }
  });
});
