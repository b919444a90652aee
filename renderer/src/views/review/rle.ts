// COCO uncompressed RLE (column-major runs starting with 0) → RGBA pixels of one colour.
import type { CocoRle } from '../../../../main/domain/rle';

// One COCO RLE codec for engine, exports and the review canvas.
export { decodeRle, encodeRle } from '../../../../main/domain/rle';
export type Rle = CocoRle;

/** Paints the mask's pixels into `rgba` (row-major, width × height) with colour [r, g, b, a]. */
export function paintRle(rle: Rle, rgba: Uint8ClampedArray, color: [number, number, number, number]): void {
  const [height, width] = rle.size;
  let pos = 0;
  let value = 0;
  for (const count of rle.counts) {
    if (value === 1) {
      for (let k = pos; k < pos + count; k++) {
        const o = ((k % height) * width + Math.floor(k / height)) * 4;
        rgba[o] = color[0]; rgba[o + 1] = color[1]; rgba[o + 2] = color[2]; rgba[o + 3] = color[3];
      }
    }
    pos += count;
    value ^= 1;
  }
}

const PALETTE: [number, number, number][] = [
  [91, 156, 255], [239, 91, 91], [76, 195, 138], [240, 181, 58], [190, 120, 255], [255, 140, 60], [255, 110, 190], [60, 210, 220], [170, 200, 80],
];

/** A stable colour per class index. */
export const classColor = (index: number): [number, number, number] => PALETTE[((index % PALETTE.length) + PALETTE.length) % PALETTE.length];
export const css = (c: [number, number, number], a = 1) => `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${a})`;

/** Sets (or clears) a disc of radius r around (cx, cy). */
export function paintDisc(mask: Uint8Array, width: number, height: number, cx: number, cy: number, r: number, value: 0 | 1): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(width - 1, Math.ceil(cx + r)); x++) {
      if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= r * r) mask[y * width + x] = value;
    }
  }
}
