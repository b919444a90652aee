// PIL-style resampling against Pillow itself: the expected bytes were written by Pillow 9.4
// (test/fixtures/vision/pil-resample-reference.py) from the same formula pattern; shrinking, enlarging and
// one-axis resizes must match it exactly, byte for byte.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type PilFilter, pilResizeRgb } from '../../../main/engine/vision/pil-resample';

const reference = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../fixtures/vision/pil-resample-reference.json'), 'utf8')) as {
  source: [number, number];
  cases: { filter: PilFilter; width: number; height: number; rgb: string }[];
};

const [W, H] = reference.source;
const pattern = new Uint8Array(W * H * 3);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) pattern.set([(x * 37 + y * 11) & 255, (x * x + 3 * y) & 255, ((x ^ y) * 9) & 255], (y * W + x) * 3);

describe('pilResizeRgb matches Pillow', () => {
  it.each(reference.cases.map((c) => [c.filter, c.width, c.height, c] as const))('%s to %i×%i', (filter, width, height, c) => {
    const ours = pilResizeRgb(pattern, W, H, width, height, filter);
    expect(Buffer.from(ours).equals(Buffer.from(c.rgb, 'base64'))).toBe(true);
  });

  it('returns a copy when the size does not change', () => {
    const same = pilResizeRgb(pattern, W, H, W, H, 'bilinear');
    expect(same).not.toBe(pattern);
    expect(Buffer.from(same).equals(Buffer.from(pattern))).toBe(true);
  });
});
