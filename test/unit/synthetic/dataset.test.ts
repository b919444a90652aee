import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDirtyDataset, type GroundTruth, type GroundTruthItem } from '../../../main/synthetic/dataset';
import { decodeRle } from '../../../main/domain/rle';
import { DIRT_KINDS, loadVocabulary, type DirtKind } from '../../../main/synthetic/vocabulary';

const vocab = loadVocabulary();
const COUNT = 200;
const FRACTION = 0.04; // 8 items per kind, so each of the 4 corruptions and near-duplicate variants appears twice
const fractions = Object.fromEntries(DIRT_KINDS.map((k) => [k, FRACTION])) as Record<DirtKind, number>;

let root: string;
let dir: string;
let gt: GroundTruth;
const byId = new Map<string, GroundTruthItem>();
const file = (item: GroundTruthItem): Promise<Buffer> => readFile(join(dir, item.file));
const ofKind = (kind: DirtKind): GroundTruthItem[] => gt.items.filter((it) => it.dirt.includes(kind));

async function decodes(bytes: Buffer): Promise<boolean> {
  try {
    await sharp(bytes).metadata();
    await sharp(bytes).raw().toBuffer();
    return true;
  } catch {
    return false;
  }
}

async function meanLuma(bytes: Buffer): Promise<number> {
  const data = await sharp(bytes).greyscale().raw().toBuffer();
  return data.reduce((a, b) => a + b, 0) / data.length;
}

/** 99.9th percentile of horizontal neighbour steps: shape edges make it large unless blurred. */
async function edgeStep(bytes: Buffer): Promise<number> {
  const { data, info } = await sharp(bytes).greyscale().raw().toBuffer({ resolveWithObject: true });
  const steps = new Uint32Array(256);
  for (let y = 0; y < info.height; y++) for (let x = 1; x < info.width; x++) steps[Math.abs(data[y * info.width + x] - data[y * info.width + x - 1])]++;
  let left = Math.floor(info.height * (info.width - 1) * 0.001);
  for (let v = 255; v > 0; v--) if ((left -= steps[v]) < 0) return v;
  return 0;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'winnow-synthetic-'));
  dir = join(root, 'dirty');
  const result = await writeDirtyDataset(dir, { count: COUNT, seed: 11, fractions });
  expect(result.count).toBe(COUNT);
  gt = JSON.parse(await readFile(result.groundTruthPath, 'utf8')) as GroundTruth;
  for (const it of gt.items) byId.set(it.id, it);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('writeDirtyDataset', () => {
  it('writes every image, its caption sidecar and a manifest row', async () => {
    const images = await readdir(join(dir, 'images'));
    expect(images.length).toBe(2 * COUNT);
    const manifest = (await readFile(join(dir, 'manifest.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(manifest.length).toBe(COUNT);
    expect(gt.items.map((it) => it.id)).toEqual(Array.from({ length: COUNT }, (_, i) => String(i + 1).padStart(6, '0')));
    for (let i = 0; i < COUNT; i++) {
      const item = gt.items[i];
      expect(manifest[i]).toEqual({ path: item.file, caption: item.caption, source_id: item.source_id });
      expect(item.file).toMatch(/^images\/\d{6}\.(jpg|png|webp)$/);
      expect(await readFile(join(dir, item.caption_file), 'utf8')).toBe(item.caption);
    }
    const exts = new Set(gt.items.map((it) => it.file.split('.').pop()));
    expect([...exts].sort()).toEqual(['jpg', 'png', 'webp']);
  });

  it('puts exactly round(fraction x count) items in every dirt kind', () => {
    for (const kind of DIRT_KINDS) {
      expect(ofKind(kind).length, kind).toBe(Math.round(FRACTION * COUNT));
      expect(gt.counts[kind]).toBe(Math.round(FRACTION * COUNT));
    }
    expect(gt.items.filter((it) => it.dirt.length === 0).length).toBe(COUNT - DIRT_KINDS.length * Math.round(FRACTION * COUNT));
  });

  it('writes readable images whose size and format match the ground truth, with masks of that size', async () => {
    for (const item of gt.items) {
      if (!item.readable) continue;
      const meta = await sharp(await file(item)).metadata();
      expect([meta.width, meta.height]).toEqual([item.width, item.height]);
      expect(meta.format).toBe(item.format === 'jpeg' ? 'jpeg' : item.format);
      for (const obj of item.objects) {
        expect(obj.rle.size).toEqual([item.height, item.width]);
        expect(decodeRle(obj.rle).reduce((a, b) => a + b, 0)).toBe(obj.area);
      }
    }
    const plain = gt.items.filter((it) => it.dirt.length === 0);
    for (const it of plain) {
      expect(it.width).toBeGreaterThanOrEqual(224);
      expect(it.height).toBeLessThanOrEqual(320);
      expect(it.objects.length).toBeGreaterThanOrEqual(1);
      expect(it.caption).toBe(it.clean_caption);
    }
  });

  it('copies exact duplicates byte for byte from clean originals, with the same caption', async () => {
    for (const item of ofKind('exact_duplicate')) {
      const original = byId.get(item.duplicate_of!)!;
      expect(original.dirt).toEqual([]);
      expect((await file(item)).equals(await file(original))).toBe(true);
      expect(item.file).not.toBe(original.file);
      expect(item.caption).toBe(original.caption);
      expect(item.objects).toEqual(original.objects);
    }
  });

  it('makes near-duplicates of every variant that differ in bytes but not in content', async () => {
    const near = ofKind('near_duplicate');
    expect(new Set(near.map((it) => it.near_duplicate_variant))).toEqual(new Set(vocab.dirt.near_duplicate_variants));
    for (const item of near) {
      const original = byId.get(item.duplicate_of!)!;
      const bytes = await file(item);
      expect(bytes.equals(await file(original))).toBe(false);
      expect(await decodes(bytes)).toBe(true);
      expect(item.caption).toBe(original.caption);
      switch (item.near_duplicate_variant) {
        case 'reencode':
        case 'brighten':
          expect([item.width, item.height]).toEqual([original.width, original.height]);
          expect(item.objects.map((o) => o.box)).toEqual(original.objects.map((o) => o.box));
          break;
        case 'resize':
          expect(item.width).not.toBe(original.width);
          expect(item.width / original.width).toBeCloseTo(item.height / original.height, 1);
          break;
        case 'crop':
          expect(item.width).toBeLessThan(original.width);
          expect(item.width).toBeGreaterThanOrEqual(Math.floor(0.85 * original.width));
          expect(item.height).toBeGreaterThanOrEqual(Math.floor(0.85 * original.height));
          break;
      }
      if (item.near_duplicate_variant === 'brighten') expect(await meanLuma(bytes)).toBeGreaterThan(await meanLuma(await file(original)));
    }
  });

  it('writes corrupt files sharp rejects, except the readable PNG behind a .jpg name', async () => {
    const corrupt = ofKind('corrupt_file');
    expect(new Set(corrupt.map((it) => it.corruption))).toEqual(new Set(['truncated_jpeg', 'random_bytes', 'empty_file', 'wrong_extension']));
    for (const item of corrupt) {
      const bytes = await file(item);
      expect(item.file.endsWith('.jpg')).toBe(true);
      if (item.corruption === 'wrong_extension') {
        expect(item.readable).toBe(true);
        expect((await sharp(bytes).metadata()).format).toBe('png');
        expect(await decodes(bytes)).toBe(true);
      } else {
        expect(item.readable).toBe(false);
        expect(await decodes(bytes), `${item.id} ${item.corruption}`).toBe(false);
      }
      if (item.corruption === 'empty_file') expect(bytes.length).toBe(0);
    }
  });

  it('sizes tiny and extreme-aspect images as the vocabulary says', () => {
    const [tinyLo, tinyHi] = vocab.dirt.tiny_side;
    for (const it of ofKind('tiny_image')) {
      const short = Math.min(it.width, it.height);
      expect(short).toBeGreaterThanOrEqual(tinyLo);
      expect(short).toBeLessThanOrEqual(tinyHi);
    }
    const [ratioLo, ratioHi] = vocab.dirt.extreme_aspect_ratio;
    for (const it of ofKind('extreme_aspect')) {
      const ratio = Math.max(it.width, it.height) / Math.min(it.width, it.height);
      expect(ratio).toBeGreaterThanOrEqual(ratioLo - 0.01);
      expect(ratio).toBeLessThanOrEqual(ratioHi + 0.01);
    }
    expect(new Set(ofKind('extreme_aspect').map((it) => it.width > it.height)).size).toBe(2);
  });

  it('writes empty, junk and mismatched captions while keeping the clean caption', () => {
    for (const it of ofKind('empty_caption')) expect(it.caption).toBe('');
    for (const it of ofKind('junk_caption')) {
      expect(vocab.junk_captions).toContain(it.caption);
      expect(it.caption.trim()).not.toBe('');
    }
    for (const it of ofKind('mismatched_caption')) {
      const donor = byId.get(it.caption_from!)!;
      expect(it.caption).toBe(donor.clean_caption);
      expect(it.caption).not.toBe(it.clean_caption);
      const mine = new Set(it.objects.map((o) => o.shape));
      expect(donor.objects.some((o) => mine.has(o.shape))).toBe(false);
    }
    for (const kind of ['empty_caption', 'junk_caption', 'mismatched_caption'] as const) {
      for (const it of ofKind(kind)) expect(it.clean_caption.length).toBeGreaterThan(0);
    }
  });

  it('darkens, blurs and watermarks the pixels of those items', async () => {
    for (const it of ofKind('dark')) {
      const gain = it.dirt_params!.gain as number;
      expect(gain).toBeGreaterThanOrEqual(vocab.dirt.dark_gain[0]);
      expect(gain).toBeLessThanOrEqual(vocab.dirt.dark_gain[1]);
      expect(await meanLuma(await file(it))).toBeLessThan(255 * vocab.dirt.dark_gain[1] + 2);
    }
    const clean: number[] = [];
    for (const it of gt.items.filter((x) => x.dirt.length === 0).slice(0, 30)) clean.push(await edgeStep(await file(it)));
    const blurred: number[] = [];
    for (const it of ofKind('blurred')) {
      expect(it.dirt_params!.sigma as number).toBeGreaterThanOrEqual(vocab.dirt.blur_sigma[0]);
      blurred.push(await edgeStep(await file(it)));
    }
    expect(mean(blurred)).toBeLessThan(0.3 * mean(clean));
    for (const it of ofKind('watermark')) {
      expect(vocab.watermark_texts).toContain(it.dirt_params!.text);
      const [x, y, w, h] = it.dirt_params!.box as number[];
      expect(x).toBeGreaterThanOrEqual(0);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(it.width);
      expect(y + h).toBeLessThanOrEqual(it.height);
      // "Large": the text spans most of the image width.
      expect(w).toBeGreaterThan(0.5 * it.width);
    }
  });
});

describe('writeDirtyDataset determinism and options', () => {
  it('writes identical bytes for the same seed and different ones for another seed', async () => {
    const opts = { count: 40, fractions };
    const a = join(root, 'a');
    const b = join(root, 'b');
    const c = join(root, 'c');
    await writeDirtyDataset(a, { ...opts, seed: 'same' });
    await writeDirtyDataset(b, { ...opts, seed: 'same' });
    await writeDirtyDataset(c, { ...opts, seed: 'other' });
    const names = (await readdir(join(a, 'images'))).sort();
    expect((await readdir(join(b, 'images'))).sort()).toEqual(names);
    for (const name of names) expect((await readFile(join(a, 'images', name))).equals(await readFile(join(b, 'images', name))), name).toBe(true);
    for (const name of ['manifest.jsonl', 'ground_truth.json']) expect(await readFile(join(b, name), 'utf8')).toBe(await readFile(join(a, name), 'utf8'));
    expect(await readFile(join(c, 'manifest.jsonl'), 'utf8')).not.toBe(await readFile(join(a, 'manifest.jsonl'), 'utf8'));
  });

  it('writes only JPEG with fixed sizes, clean with zero fractions, and refuses impossible fractions', async () => {
    const out = join(root, 'clean');
    const zero = Object.fromEntries(DIRT_KINDS.map((k) => [k, 0]));
    await writeDirtyDataset(out, { count: 12, seed: 3, width: 200, height: 150, format: 'jpg', fractions: zero, heldOut: 'exclude' });
    const truth = JSON.parse(await readFile(join(out, 'ground_truth.json'), 'utf8')) as GroundTruth;
    for (const it of truth.items) {
      expect(it.dirt).toEqual([]);
      expect(it.file.endsWith('.jpg')).toBe(true);
      expect([it.width, it.height]).toEqual([200, 150]);
      expect(it.objects.every((o) => !o.held_out)).toBe(true);
    }
    await expect(writeDirtyDataset(join(root, 'bad'), { count: 10, seed: 1, fractions: { dark: 0.7, blurred: 0.5 } })).rejects.toThrow(/dirty items/);
  });
});
