import { describe, expect, it } from 'vitest';
import { drawText, GLYPH_HEIGHT, hasGlyph, measureText } from '../../../main/synthetic/font';
import { loadVocabulary } from '../../../main/synthetic/vocabulary';

describe('bitmap font', () => {
  it('has a glyph for every character of the vocabulary watermark texts', () => {
    for (const text of loadVocabulary().watermark_texts) for (const ch of text) expect(hasGlyph(ch)).toBe(true);
  });

  it('draws the glyph dots scaled and opaque where alpha is 1', () => {
    const w = 12;
    const h = 16;
    const rgb = Buffer.alloc(w * h * 3, 0);
    drawText(rgb, w, h, 'T', { x: 1, y: 1, scale: 2, color: [255, 255, 255], alpha: 1 });
    const lit = (x: number, y: number): boolean => rgb[(y * w + x) * 3] === 255;
    // Top bar of the T: glyph row 0 spans 5 dots = 10 px from x=1.
    for (let x = 1; x < 11; x++) expect(lit(x, 1) && lit(x, 2)).toBe(true);
    expect(lit(0, 1)).toBe(false);
    // Stem: middle column (dot 2) down to the last row.
    expect(lit(5, 1 + 2 * (GLYPH_HEIGHT - 1))).toBe(true);
    expect(lit(1, 1 + 2 * (GLYPH_HEIGHT - 1))).toBe(false);
    expect(measureText('AB', 3)).toEqual({ width: 11 * 3, height: 21 });
  });

  it('blends with alpha and clips at the image border', () => {
    const rgb = Buffer.alloc(4 * 4 * 3, 100);
    drawText(rgb, 4, 4, 'W', { x: -2, y: -3, scale: 1, color: [200, 200, 200], alpha: 0.5 });
    expect([...rgb].every((v) => v === 100 || v === 150)).toBe(true);
    expect([...rgb].some((v) => v === 150)).toBe(true);
  });
});
