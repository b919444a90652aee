import { describe, expect, it } from 'vitest';
import { decodeRle, encodeRle, maskBbox, rleArea, rleBbox } from '../../../main/domain/rle';

// 3 rows x 4 columns, row-major:
//   0 1 1 0
//   0 1 0 0
//   1 1 0 0
const HAND = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0]);

describe('COCO RLE', () => {
  it('encodes column by column, starting with a run of zeros', () => {
    // Column-major order: col0 = 0,0,1  col1 = 1,1,1  col2 = 1,0,0  col3 = 0,0,0
    // sequence 0 0 1 1 1 1 1 0 0 0 0 0 -> runs 2 zeros, 5 ones, 5 zeros
    expect(encodeRle(HAND, 3, 4)).toEqual({ size: [3, 4], counts: [2, 5, 5] });
  });

  it('starts with a zero-length run when the first pixel is set', () => {
    const mask = Uint8Array.from([1, 0, 0, 0]);
    expect(encodeRle(mask, 2, 2).counts).toEqual([0, 1, 3]);
  });

  it('round-trips, and reports area and bbox', () => {
    const rle = encodeRle(HAND, 3, 4);
    expect(Array.from(decodeRle(rle))).toEqual(Array.from(HAND));
    expect(rleArea(rle)).toBe(5);
    expect(maskBbox(HAND, 3, 4)).toEqual([0, 0, 3, 3]);
    expect(rleBbox(rle)).toEqual([0, 0, 3, 3]);
  });

  it('round-trips a random non-square mask and handles empty and full masks', () => {
    const h = 17;
    const w = 29;
    let state = 12345;
    const mask = Uint8Array.from({ length: h * w }, () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 30) & 1);
    const rle = encodeRle(mask, h, w);
    expect(rle.counts.reduce((a, b) => a + b, 0)).toBe(h * w);
    expect(decodeRle(rle)).toEqual(mask);
    expect(encodeRle(new Uint8Array(6), 2, 3).counts).toEqual([6]);
    expect(encodeRle(new Uint8Array(6).fill(1), 2, 3).counts).toEqual([0, 6]);
    expect(maskBbox(new Uint8Array(6), 2, 3)).toBeNull();
  });

  it('rejects masks and counts of the wrong size', () => {
    expect(() => encodeRle(new Uint8Array(5), 2, 3)).toThrow();
    expect(() => decodeRle({ size: [2, 3], counts: [2, 2] })).toThrow();
  });
});
