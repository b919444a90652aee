// A 5x7 bitmap font so watermark overlays need no system fonts (and render identically everywhere).
// Lowercase letters are drawn as capitals.

const GLYPH_ROWS: Record<string, string> = {
  A: '01110 10001 10001 11111 10001 10001 10001',
  B: '11110 10001 10001 11110 10001 10001 11110',
  C: '01110 10001 10000 10000 10000 10001 01110',
  D: '11110 10001 10001 10001 10001 10001 11110',
  E: '11111 10000 10000 11110 10000 10000 11111',
  F: '11111 10000 10000 11110 10000 10000 10000',
  G: '01110 10001 10000 10111 10001 10001 01111',
  H: '10001 10001 10001 11111 10001 10001 10001',
  I: '01110 00100 00100 00100 00100 00100 01110',
  J: '00111 00010 00010 00010 00010 10010 01100',
  K: '10001 10010 10100 11000 10100 10010 10001',
  L: '10000 10000 10000 10000 10000 10000 11111',
  M: '10001 11011 10101 10101 10001 10001 10001',
  N: '10001 10001 11001 10101 10011 10001 10001',
  O: '01110 10001 10001 10001 10001 10001 01110',
  P: '11110 10001 10001 11110 10000 10000 10000',
  Q: '01110 10001 10001 10001 10101 10010 01101',
  R: '11110 10001 10001 11110 10100 10010 10001',
  S: '01111 10000 10000 01110 00001 00001 11110',
  T: '11111 00100 00100 00100 00100 00100 00100',
  U: '10001 10001 10001 10001 10001 10001 01110',
  V: '10001 10001 10001 10001 10001 01010 00100',
  W: '10001 10001 10001 10101 10101 10101 01010',
  X: '10001 10001 01010 00100 01010 10001 10001',
  Y: '10001 10001 01010 00100 00100 00100 00100',
  Z: '11111 00001 00010 00100 01000 10000 11111',
  '0': '01110 10001 10011 10101 11001 10001 01110',
  '1': '00100 01100 00100 00100 00100 00100 01110',
  '2': '01110 10001 00001 00010 00100 01000 11111',
  '3': '11111 00010 00100 00010 00001 10001 01110',
  '4': '00010 00110 01010 10010 11111 00010 00010',
  '5': '11111 10000 11110 00001 00001 10001 01110',
  '6': '00110 01000 10000 11110 10001 10001 01110',
  '7': '11111 00001 00010 00100 01000 01000 01000',
  '8': '01110 10001 10001 01110 10001 10001 01110',
  '9': '01110 10001 10001 01111 00001 00010 01100',
  ' ': '00000 00000 00000 00000 00000 00000 00000',
  '(': '00010 00100 01000 01000 01000 00100 00010',
  ')': '01000 00100 00010 00010 00010 00100 01000',
  '.': '00000 00000 00000 00000 00000 01100 01100',
  ',': '00000 00000 00000 00000 01100 00100 01000',
  '-': '00000 00000 00000 11111 00000 00000 00000',
  '!': '00100 00100 00100 00100 00100 00000 00100',
  ':': '00000 01100 01100 00000 01100 01100 00000',
  '/': '00001 00010 00010 00100 01000 01000 10000',
  '@': '01110 10001 10111 10101 10111 10000 01111',
  '&': '01100 10010 10100 01000 10101 10010 01101',
  '?': '01110 10001 00001 00010 00100 00000 00100',
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 7;
/** Advance per character in glyph pixels (one blank column between letters). */
export const GLYPH_ADVANCE = GLYPH_WIDTH + 1;

const GLYPHS = new Map<string, Uint8Array>(
  Object.entries(GLYPH_ROWS).map(([ch, rows]) => [ch, Uint8Array.from(rows.replace(/ /g, ''), (b) => (b === '1' ? 1 : 0))]),
);

/** Characters the font can draw; anything else is drawn as '?'. */
export function hasGlyph(ch: string): boolean {
  return GLYPHS.has(ch.toUpperCase());
}

function glyph(ch: string): Uint8Array {
  return GLYPHS.get(ch.toUpperCase()) ?? GLYPHS.get('?')!;
}

/** Size in pixels of `text` drawn at integer `scale`. */
export function measureText(text: string, scale: number): { width: number; height: number } {
  return { width: Math.max(0, text.length * GLYPH_ADVANCE - 1) * scale, height: GLYPH_HEIGHT * scale };
}

export interface TextStyle {
  x: number;
  y: number;
  /** Integer pixel size of one glyph dot. */
  scale: number;
  color: [number, number, number];
  /** Opacity 0..1 blended over the existing pixels. */
  alpha: number;
}

/** Blends `text` into an RGB buffer in place; dots outside the image are clipped. */
export function drawText(rgb: Buffer, width: number, height: number, text: string, style: TextStyle): void {
  const { scale, color, alpha } = style;
  const x0 = Math.round(style.x);
  const y0 = Math.round(style.y);
  for (let k = 0; k < text.length; k++) {
    const bits = glyph(text[k]);
    const gx = x0 + k * GLYPH_ADVANCE * scale;
    for (let row = 0; row < GLYPH_HEIGHT; row++) {
      for (let col = 0; col < GLYPH_WIDTH; col++) {
        if (!bits[row * GLYPH_WIDTH + col]) continue;
        for (let dy = 0; dy < scale; dy++) {
          const y = y0 + row * scale + dy;
          if (y < 0 || y >= height) continue;
          for (let dx = 0; dx < scale; dx++) {
            const x = gx + col * scale + dx;
            if (x < 0 || x >= width) continue;
            const o = (y * width + x) * 3;
            rgb[o] = Math.round(rgb[o] * (1 - alpha) + color[0] * alpha);
            rgb[o + 1] = Math.round(rgb[o + 1] * (1 - alpha) + color[1] * alpha);
            rgb[o + 2] = Math.round(rgb[o + 2] * (1 - alpha) + color[2] * alpha);
          }
        }
      }
    }
  }
}
