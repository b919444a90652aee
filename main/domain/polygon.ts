// COCO polygons <-> RLE: polygons rasterized at pixel centres (even-odd), RLE -> outline polygon.
import { decodeRle, encodeRle, type CocoRle } from './rle';

/** Rasterizes flat polygons [x1, y1, x2, y2, ...] (pixels) into one mask; a pixel is inside when its centre is (even-odd per polygon, union across). */
export function polygonsToRle(polygons: number[][], height: number, width: number): CocoRle {
  const mask = new Uint8Array(height * width);
  const xs: number[] = [];
  for (const poly of polygons) {
    const n = Math.floor(poly.length / 2);
    if (n < 3) continue;
    for (let y = 0; y < height; y++) {
      const cy = y + 0.5;
      xs.length = 0;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const yi = poly[2 * i + 1], yj = poly[2 * j + 1];
        if ((yi > cy) !== (yj > cy)) xs.push(poly[2 * i] + ((cy - yi) / (yj - yi)) * (poly[2 * j] - poly[2 * i]));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k] - 0.5));
        const to = Math.min(width - 1, Math.ceil(xs[k + 1] - 0.5) - 1);
        for (let x = from; x <= to; x++) mask[y * width + x] = 1;
      }
    }
  }
  return encodeRle(mask, height, width);
}

/**
 * Outer outline of the largest 4-connected blob of a mask, as a flat pixel-corner polygon (exact for that blob:
 * rasterizing it at pixel centres gives the blob back, holes aside). Null for an empty mask.
 */
export function rleToPolygon(rle: CocoRle): number[] | null {
  const [h, w] = rle.size;
  const mask = decodeRle(rle);
  const label = new Int32Array(h * w);
  let best = -1, bestSize = 0, next = 0;
  const stack: number[] = [];
  for (let s = 0; s < h * w; s++) {
    if (!mask[s] || label[s]) continue;
    next++;
    let size = 0;
    stack.push(s);
    label[s] = next;
    while (stack.length) {
      const p = stack.pop()!;
      size++;
      const x = p % w, y = (p - x) / w;
      for (const q of [x > 0 ? p - 1 : -1, x < w - 1 ? p + 1 : -1, y > 0 ? p - w : -1, y < h - 1 ? p + w : -1]) {
        if (q >= 0 && mask[q] && !label[q]) { label[q] = next; stack.push(q); }
      }
    }
    if (size > bestSize) { bestSize = size; best = next; }
  }
  if (best < 0) return null;
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && label[y * w + x] === best;
  // Start at the top-left pixel's top-left corner and walk the boundary edges keeping the blob on the right.
  let start = 0;
  while (label[start] !== best) start++;
  const sx = start % w, sy = (start - sx) / w;
  const pts: number[] = [];
  let x = sx, y = sy, dir = 0; // 0 right, 1 down, 2 left, 3 up (corner coordinates)
  const dx = [1, 0, -1, 0], dy = [0, 1, 0, -1];
  // pixel on the right-hand side of moving along direction d from corner (x, y)
  const rightPix = (cx: number, cy: number, d: number): [number, number] => [[cx, cy], [cx - 1, cy], [cx - 1, cy - 1], [cx, cy - 1]][d] as [number, number];
  const leftPix = (cx: number, cy: number, d: number): [number, number] => [[cx, cy - 1], [cx, cy], [cx - 1, cy], [cx - 1, cy - 1]][d] as [number, number];
  let steps = 0;
  do {
    pts.push(x, y);
    // advance along dir until a turn
    do {
      x += dx[dir]; y += dy[dir];
      const [lx, ly] = leftPix(x, y, dir);
      const [rx, ry] = rightPix(x, y, dir);
      if (inside(lx, ly)) { dir = (dir + 3) % 4; break; }
      if (!inside(rx, ry)) { dir = (dir + 1) % 4; break; }
    } while (++steps < 4 * h * w + 8);
  } while ((x !== sx || y !== sy) && ++steps < 4 * h * w + 8);
  return pts;
}
