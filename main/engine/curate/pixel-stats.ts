// Pure pixel statistics over a greyscale buffer: what the stats job computes once per decoded image.
// Kept free of I/O so the maths is unit-tested on synthetic buffers.

export interface PixelStats {
  /** Variance of the 4-neighbour Laplacian: low for blurred images (edges are spread out). */
  sharpness: number;
  /** Mean grey level, 0-255. */
  brightness: number;
  /**
   * Perceived blur, 0 (sharp) to 1 (blurred): the re-blur metric of Crété-Roffet et al. (2007). The
   * raw Laplacian variance also grows with how many edges an image has, so a sharp picture of a plain
   * wall scores like a blurred busy one; this one asks how much a further 9-tap blur flattens the
   * neighbour differences, which depends on edge steepness only.
   */
  blur: number;
  /** Median width in px of the strongest edges (see edgeWidth): grows with blur. */
  edgeWidth: number;
  /** Shannon entropy (bits) of the 256-bin grey histogram, 0-8: low for flat, low-information images. */
  entropy: number;
}

export function pixelStats(grey: Uint8Array, width: number, height: number): PixelStats {
  const hist = new Float64Array(256);
  let sum = 0;
  for (let i = 0; i < grey.length; i++) {
    hist[grey[i]]++;
    sum += grey[i];
  }
  const n = grey.length;
  let entropy = 0;
  for (let v = 0; v < 256; v++) {
    if (hist[v] === 0) continue;
    const p = hist[v] / n;
    entropy -= p * Math.log2(p);
  }
  // Laplacian over interior pixels only: borders have no full neighbourhood.
  let lsum = 0;
  let lsq = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    for (let x = 1; x < width - 1; x++) {
      const o = row + x;
      const lap = grey[o - 1] + grey[o + 1] + grey[o - width] + grey[o + width] - 4 * grey[o];
      lsum += lap;
      lsq += lap * lap;
      count++;
    }
  }
  const mean = count > 0 ? lsum / count : 0;
  const sharpness = count > 0 ? Math.max(0, lsq / count - mean * mean) : 0;
  return { sharpness, blur: reblur(grey, width, height), edgeWidth: edgeWidth(grey, width, height), brightness: n > 0 ? sum / n : 0, entropy };
}

/** Crété-Roffet blur along rows and columns; the blurrier direction wins. */
function reblur(grey: Uint8Array, width: number, height: number): number {
  const along = (len: number, lines: number, at: (line: number, i: number) => number): number => {
    const R = 4; // 9-tap box
    let dOrig = 0;
    let dVar = 0;
    const line = new Float64Array(len);
    const blurred = new Float64Array(len);
    for (let l = 0; l < lines; l++) {
      for (let i = 0; i < len; i++) line[i] = at(l, i);
      let acc = 0;
      for (let i = -R; i <= R; i++) acc += line[Math.min(len - 1, Math.max(0, i))];
      for (let i = 0; i < len; i++) {
        blurred[i] = acc / (2 * R + 1);
        acc += line[Math.min(len - 1, i + R + 1)] - line[Math.max(0, i - R)];
      }
      for (let i = 1; i < len; i++) {
        const d = Math.abs(line[i] - line[i - 1]);
        const db = Math.abs(blurred[i] - blurred[i - 1]);
        dOrig += d;
        dVar += Math.max(0, d - db);
      }
    }
    return dOrig > 0 ? (dOrig - dVar) / dOrig : 1;
  };
  const h = along(width, height, (y, x) => grey[y * width + x]);
  const v = along(height, width, (x, y) => grey[y * width + x]);
  return Math.max(h, v);
}

/** Orthonormal-free DCT-II basis for size N (only the first `keep` frequencies are needed). */
function dctBasis(n: number, keep: number): Float64Array {
  const basis = new Float64Array(keep * n);
  for (let k = 0; k < keep; k++) for (let i = 0; i < n; i++) basis[k * n + i] = Math.cos(((2 * i + 1) * k * Math.PI) / (2 * n));
  return basis;
}

export const PHASH_SIZE = 32;
const PHASH_KEEP = 8;
const BASIS = dctBasis(PHASH_SIZE, PHASH_KEEP);

/**
 * pHash: 32×32 grey → 2-D DCT → the 8×8 lowest frequencies → one bit per coefficient (above the median
 * of the 63 AC terms; the DC term only carries mean brightness, so it is left out of the median) → 16 hex chars.
 * Robust to re-encoding, resizing and brightness/contrast changes, which move the DCT only slightly.
 */
export function phash(grey32: Uint8Array): string {
  const n = PHASH_SIZE;
  if (grey32.length !== n * n) throw new Error(`phash needs ${n}×${n} grey pixels, got ${grey32.length}`);
  // Separable DCT: rows first (n × 8), then columns (8 × 8).
  const rows = new Float64Array(n * PHASH_KEEP);
  for (let y = 0; y < n; y++) {
    for (let k = 0; k < PHASH_KEEP; k++) {
      let acc = 0;
      for (let x = 0; x < n; x++) acc += grey32[y * n + x] * BASIS[k * n + x];
      rows[y * PHASH_KEEP + k] = acc;
    }
  }
  const coeffs = new Float64Array(PHASH_KEEP * PHASH_KEEP);
  for (let u = 0; u < PHASH_KEEP; u++) {
    for (let v = 0; v < PHASH_KEEP; v++) {
      let acc = 0;
      for (let y = 0; y < n; y++) acc += rows[y * PHASH_KEEP + v] * BASIS[u * n + y];
      coeffs[u * PHASH_KEEP + v] = acc;
    }
  }
  const ac = Array.from(coeffs.subarray(1)).sort((a, b) => a - b);
  const median = (ac[31] + ac[32]) / 2;
  let hex = '';
  for (let nib = 0; nib < 16; nib++) {
    let bits = 0;
    for (let b = 0; b < 4; b++) bits = (bits << 1) | (coeffs[nib * 4 + b] > median ? 1 : 0);
    hex += bits.toString(16);
  }
  return hex;
}

const POPCOUNT4 = [0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4];

/** Hamming distance of two 64-bit hashes given as 16 hex chars. */
export function hamming(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < 16; i++) d += POPCOUNT4[parseInt(a[i], 16) ^ parseInt(b[i], 16)];
  return d;
}

/** Caption statistics for DataComp's basic filter (words split on whitespace, characters of the trimmed text). */
export function captionStats(caption: string | null): { words: number; chars: number } {
  const text = (caption ?? '').trim();
  return { words: text === '' ? 0 : text.split(/\s+/u).length, chars: [...text].length };
}

/**
 * Edge width (Marziliano et al., 2002): at the strongest edges, the distance over which intensity
 * keeps rising (or falling) by more than a grey level per pixel. Sharp edges are 1-3 px wide whatever
 * the content; a Gaussian blur of σ widens them to several σ. JPEG block steps and noise are weak next
 * to object edges, so only local gradient maxima of at least half the 99th-percentile strength count.
 * Returns the median width over rows and columns (0 when the image has no edges at all).
 */
export function edgeWidth(grey: Uint8Array, width: number, height: number): number {
  const line = (get: (i: number) => number, len: number, out: { g: number; w: number }[]) => {
    let prev = 0;
    for (let i = 1; i < len - 1; i++) {
      const g = get(i + 1) - get(i - 1);
      const next = i + 2 < len ? get(i + 2) - get(i) : 0;
      // Local maximum of |gradient| along the line.
      if (Math.abs(g) < 4 || Math.abs(g) < Math.abs(prev) || Math.abs(g) < Math.abs(next)) {
        prev = g;
        continue;
      }
      const s = Math.sign(g);
      // The edge ends where its slope drops below a tenth of its peak (and below a grey level).
      const floor = Math.max(1, (0.1 * Math.abs(g)) / 2);
      let a = i;
      while (a > 0 && s * (get(a) - get(a - 1)) > floor) a--;
      let b = i;
      while (b < len - 1 && s * (get(b + 1) - get(b)) > floor) b++;
      out.push({ g: Math.abs(g), w: b - a });
      prev = g;
    }
  };
  const edges: { g: number; w: number }[] = [];
  for (let y = 0; y < height; y++) line((x) => grey[y * width + x], width, edges);
  for (let x = 0; x < width; x++) line((y) => grey[y * width + x], height, edges);
  if (edges.length === 0) return 0;
  const strengths = edges.map((e) => e.g).sort((p, q) => p - q);
  const cut = strengths[Math.floor(0.99 * (strengths.length - 1))] / 2;
  const widths = edges.filter((e) => e.g >= cut).map((e) => e.w).sort((p, q) => p - q);
  return widths[Math.floor(widths.length / 2)];
}
