// COCO RLE, the one codec every layer uses: uncompressed counts alternate runs of 0 and 1 starting with 0,
// over the mask read column by column (Fortran order), as pycocotools expects; plus pycocotools' compressed strings.

export interface CocoRle {
  size: [number, number];
  counts: number[];
}

/** Box as [x, y, w, h] in pixels. */
export type Box = [number, number, number, number];

/** Encodes a row-major H x W mask (non-zero = inside). */
export function encodeRle(mask: Uint8Array, height: number, width: number): CocoRle {
  if (mask.length !== height * width) throw new Error(`mask has ${mask.length} pixels, expected ${height}x${width}`);
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Decodes to a row-major H x W mask of 0/1. */
export function decodeRle(rle: CocoRle): Uint8Array {
  const [height, width] = rle.size;
  const mask = new Uint8Array(height * width);
  let pos = 0;
  let value = 0;
  for (const count of rle.counts) {
    if (value === 1) {
      for (let k = pos; k < pos + count; k++) mask[(k % height) * width + Math.floor(k / height)] = 1;
    }
    pos += count;
    value ^= 1;
  }
  if (pos !== height * width) throw new Error(`RLE counts sum to ${pos}, expected ${height * width}`);
  return mask;
}

export function rleArea(rle: CocoRle): number {
  let area = 0;
  for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i];
  return area;
}

/** Tight integer box [x, y, w, h] of the mask's pixels, or null for an empty mask. */
export function maskBbox(mask: Uint8Array, height: number, width: number): Box | null {
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if (!mask[row + x]) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? null : [minX, minY, maxX - minX + 1, maxY - minY + 1];
}

export function rleBbox(rle: CocoRle): Box | null {
  return maskBbox(decodeRle(rle), rle.size[0], rle.size[1]);
}

/** Intersection over union of two [x, y, w, h] boxes. */
export function boxIou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Decodes pycocotools' compressed counts string (LEB128-like, delta coded from the third run). */
export function decodeCountsString(s: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= s.length) throw new Error('truncated RLE string');
      const c = s.charCodeAt(p) - 48;
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2];
    counts.push(x);
  }
  return counts;
}

/** Encodes counts as pycocotools' compressed string. */
export function encodeCountsString(counts: number[]): string {
  let out = '';
  for (let i = 0; i < counts.length; i++) {
    let x = counts[i];
    if (i > 2) x -= counts[i - 2];
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      out += String.fromCharCode(c + 48);
    }
  }
  return out;
}

/** Accepts any COCO segmentation RLE (counts list or compressed string) and returns counts as a list. */
export function normalizeRle(rle: { size: [number, number]; counts: number[] | string }): CocoRle {
  const counts = typeof rle.counts === 'string' ? decodeCountsString(rle.counts) : rle.counts;
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== rle.size[0] * rle.size[1]) throw new Error(`RLE counts sum to ${total}, expected ${rle.size[0]}×${rle.size[1]}`);
  return { size: [rle.size[0], rle.size[1]], counts };
}
