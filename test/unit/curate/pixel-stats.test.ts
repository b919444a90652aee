import { describe, expect, it } from 'vitest';
import { bits64, popcount32 } from '../../../main/engine/curate/hash64';
import { MultiIndex } from '../../../main/engine/curate/multi-index';
import { captionStats, hamming, phash, pixelStats } from '../../../main/engine/curate/pixel-stats';
import { Rng } from '../../../main/synthetic';

function scene(w: number, h: number, blur = 0): Uint8Array {
  const img = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) img[y * w + x] = ((x >> 3) + (y >> 3)) % 2 ? 200 : 40;
  if (blur === 0) return img;
  // Box blur, repeated: a crude Gaussian.
  let cur = img;
  for (let pass = 0; pass < blur; pass++) {
    const out = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      let s = 0;
      let n = 0;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) {
        const yy = y + dy;
        const xx = x + dx;
        if (yy >= 0 && yy < h && xx >= 0 && xx < w) { s += cur[yy * w + xx]; n++; }
      }
      out[y * w + x] = Math.round(s / n);
    }
    cur = out;
  }
  return cur;
}

describe('pixel statistics', () => {
  it('sharpness and blur separate a sharp checkerboard from its blurred copy; brightness and entropy are exact', () => {
    const sharp = pixelStats(scene(64, 64), 64, 64);
    const blurred = pixelStats(scene(64, 64, 3), 64, 64);
    expect(sharp.sharpness).toBeGreaterThan(10 * blurred.sharpness);
    expect(blurred.blur).toBeGreaterThan(sharp.blur + 0.3);
    expect(sharp.edgeWidth).toBeLessThanOrEqual(2);
    expect(blurred.edgeWidth).toBeGreaterThanOrEqual(6);
    expect(sharp.brightness).toBe(120);
    expect(sharp.entropy).toBeCloseTo(1, 6);
    const flat = pixelStats(new Uint8Array(100).fill(7), 10, 10);
    expect(flat).toMatchObject({ sharpness: 0, brightness: 7, entropy: 0, edgeWidth: 0 });
  });

  it('pHash: 16 hex chars, stable under brightness gain, far for a different image', () => {
    const a = scene(32, 32);
    const bright = a.map((v) => Math.min(255, Math.round(v * 1.2)));
    const rng = new Rng('phash');
    const other = Uint8Array.from({ length: 1024 }, () => rng.int(0, 255));
    expect(phash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(hamming(phash(a), phash(bright))).toBeLessThanOrEqual(2);
    expect(hamming(phash(a), phash(other))).toBeGreaterThan(12);
  });

  it('caption statistics count whitespace-separated words and trimmed characters', () => {
    expect(captionStats(null)).toEqual({ words: 0, chars: 0 });
    expect(captionStats('  a red  star ')).toEqual({ words: 3, chars: 11 });
    expect(captionStats('...')).toEqual({ words: 1, chars: 3 });
  });
});

describe('multi-index hash', () => {
  it('finds the nearest stored hash within k exactly like a linear scan', () => {
    const rng = new Rng('bk');
    const hex = () => Array.from({ length: 16 }, () => rng.int(0, 15).toString(16)).join('');
    const stored = Array.from({ length: 400 }, hex);
    const trees = new Map([0, 3, 6, 8].map((k) => [k, new MultiIndex(k)]));
    stored.forEach((h, i) => trees.forEach((t) => t.add(h, i)));
    for (let q = 0; q < 100; q++) {
      // Queries near stored hashes (flip a few bits) and random ones.
      const base = q % 2 ? stored[rng.int(0, stored.length - 1)] : hex();
      const query = base.slice(0, 15) + ((parseInt(base[15], 16) ^ rng.int(0, 15)).toString(16));
      for (const k of [0, 3, 6, 8]) {
        let best: { id: number; distance: number } | null = null;
        stored.forEach((h, id) => {
          const d = hamming(h, query);
          if (d <= k && (!best || d < best.distance)) best = { id, distance: d };
        });
        expect(trees.get(k)!.nearest(query)).toEqual(best);
      }
    }
    expect(popcount32(0xffffffff)).toBe(32);
    // Bits across the 32-bit seam: bits 28..35 of 0x0000000F:F0000000.
    expect(bits64(0x0000000f, 0xf0000000, 28, 8)).toBe(0xff);
    expect(bits64(0x12345678, 0x9abcdef0, 0, 31)).toBe(0x1abcdef0);
  });
});
