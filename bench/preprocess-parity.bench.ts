// Image preprocessing, three ways on the same images: Winnow, Transformers.js (same processor configs), and a
// PIL replica of Hugging Face's Python processors (bench/reference/pil_preprocess.py, Debian's python3-pil).
// Prints, per processor family and image, the mean and max absolute difference in normalized units
// (1 grey level ≈ 0.015 for CLIP's std) and how much further Transformers.js lands from Python than Winnow.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { AutoImageProcessor, env, RawImage } from '@huggingface/transformers';
import { preprocessorConfigSchema } from '../main/engine/vision/model-config';
import { preprocessSpecFromConfig } from '../main/engine/vision/preprocess-spec';
import { preprocessImage } from '../main/engine/vision/preprocess';
import { PROCESSOR_CONFIGS } from '../test/fixtures/vision/processor-configs';

const PYTHON = '/usr/bin/python3';
const root = mkdtempSync(path.join(tmpdir(), 'winnow-parity-'));
env.allowRemoteModels = false;
env.localModelPath = root;

async function images(): Promise<{ name: string; file: string }[]> {
  const out: { name: string; file: string }[] = [];
  const make = async (name: string, w: number, h: number, pixel: (x: number, y: number) => [number, number, number]) => {
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set(pixel(x, y), (y * w + x) * 3);
    const file = path.join(root, `${name}.png`);
    await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toFile(file);
    out.push({ name, file });
  };
  // Smooth content (what photos mostly are), fine detail, and an upscale.
  await make('smooth 640×480', 640, 480, (x, y) => [(x * 255) / 640, 128 + 100 * Math.sin(x / 50) * Math.cos(y / 40), (y * 255) / 480]);
  await make('detail 333×500', 333, 500, (x, y) => [(x * 7) & 255, 127 + 127 * Math.sin(x / 3 + y / 5), (x ^ y) & 255]);
  await make('small 100×80', 100, 80, (x, y) => [(x * 255) / 100, (y * 255) / 80, 128 + 100 * Math.sin((x + y) / 9)]);
  return out;
}

function diff(a: Float32Array, b: Float32Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    if (d > max) max = d;
  }
  return { mean: sum / a.length, max };
}

const rows: string[][] = [];
for (const { name: image, file } of await images()) {
  for (const [family, config] of Object.entries(PROCESSOR_CONFIGS)) {
    mkdirSync(path.join(root, family), { recursive: true });
    const configFile = path.join(root, family, 'preprocessor_config.json');
    writeFileSync(configFile, JSON.stringify(config));
    const winnow = (await preprocessImage(readFileSync(file), preprocessSpecFromConfig(preprocessorConfigSchema.parse(config)))).data;
    const processor = await AutoImageProcessor.from_pretrained(family);
    const transformers = (await processor(await RawImage.read(file))).pixel_values.data as Float32Array;
    const out = path.join(root, `${family}.f32`);
    execFileSync(PYTHON, [path.join(import.meta.dirname, 'reference', 'pil_preprocess.py'), configFile, file, out]);
    const pil = new Float32Array(readFileSync(out).buffer.slice(0));
    const wp = diff(winnow, pil);
    const tp = transformers.length === pil.length ? diff(transformers, pil) : null;
    rows.push([family, image, `${wp.mean.toFixed(4)} / ${wp.max.toFixed(2)}`, tp ? `${tp.mean.toFixed(4)} / ${tp.max.toFixed(2)}` : 'shape differs', tp ? `${(tp.mean / wp.mean).toFixed(1)}×` : '-']);
  }
}
const header = ['family', 'image', 'Winnow vs PIL (mean / max)', 'Transformers.js vs PIL (mean / max)', 'Transformers.js / Winnow distance'];
console.log(`| ${header.join(' | ')} |\n| ${header.map(() => '---').join(' | ')} |\n${rows.map((r) => `| ${r.join(' | ')} |`).join('\n')}`);
