// PIL's Image.resize for 8-bit RGB, as Hugging Face's Python image processors call it (reducing_gap=None):
// separable convolution where, when shrinking, the filter's support is widened by the scale factor so every
// source pixel contributes (antialiasing); fixed-point weights with 22 fractional bits; horizontal pass first,
// rounded to 8 bits, then vertical. Follows Pillow's libImaging/Resample.c (precompute_coeffs,
// normalize_coeffs_8bpc, ImagingResampleHorizontal/Vertical_8bpc).
// Why not sharp's 'linear' kernel: libvips first box-shrinks by an integer factor and then interpolates
// with a fixed 2-tap kernel, which lands far from PIL on fine detail (see bench/preprocess-parity.bench.ts).

export type PilFilter = 'bilinear' | 'box';

const FILTERS: Record<PilFilter, { support: number; weight: (x: number) => number }> = {
  bilinear: { support: 1, weight: (x) => (x < 0 ? (x > -1 ? 1 + x : 0) : x < 1 ? 1 - x : 0) },
  box: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
};

const PRECISION_BITS = 32 - 8 - 2;
const ROUND_HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;

interface Coefficients {
  /** Taps per output pixel (the same for all). */
  ksize: number;
  /** First source index of each output pixel's window. */
  start: Int32Array;
  /** Number of source pixels in each window. */
  count: Int32Array;
  /** Fixed-point weights, ksize per output pixel. */
  weights: Int32Array;
}

function coefficients(inSize: number, outSize: number, filter: PilFilter): Coefficients {
  const { support: base, weight } = FILTERS[filter];
  const scale = inSize / outSize;
  const filterScale = Math.max(1, scale);
  const support = base * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(0, Math.trunc(center - support + 0.5));
    const xmax = Math.min(inSize, Math.trunc(center + support + 0.5)) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = weight((x + xmin - center + 0.5) / filterScale);
      sum += k[x];
    }
    for (let x = 0; x < ksize; x++) {
      const w = x < xmax && sum !== 0 ? k[x] / sum : 0;
      weights[xx * ksize + x] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { ksize, start, count, weights };
}

// Bilinear and box weights are never negative, so sums stay in [0, 2^31) and an int32 shift is exact.
const clip8 = (v: number) => {
  const shifted = v >> PRECISION_BITS;
  return shifted > 255 ? 255 : shifted;
};

/** Resizes interleaved RGB bytes (width × height × 3) to outWidth × outHeight exactly as PIL does. */
export function pilResizeRgb(pixels: Uint8Array, width: number, height: number, outWidth: number, outHeight: number, filter: PilFilter): Uint8Array {
  let current = pixels;
  let w = width;
  if (outWidth !== width) {
    const c = coefficients(width, outWidth, filter);
    const out = new Uint8Array(outWidth * height * 3);
    for (let y = 0; y < height; y++) {
      const row = y * width * 3;
      for (let xx = 0; xx < outWidth; xx++) {
        const base = xx * c.ksize;
        let r = ROUND_HALF, g = ROUND_HALF, b = ROUND_HALF;
        for (let x = 0; x < c.count[xx]; x++) {
          const k = c.weights[base + x];
          const p = row + (c.start[xx] + x) * 3;
          r += current[p] * k;
          g += current[p + 1] * k;
          b += current[p + 2] * k;
        }
        const o = (y * outWidth + xx) * 3;
        out[o] = clip8(r);
        out[o + 1] = clip8(g);
        out[o + 2] = clip8(b);
      }
    }
    current = out;
    w = outWidth;
  }
  if (outHeight !== height) {
    const c = coefficients(height, outHeight, filter);
    const out = new Uint8Array(w * outHeight * 3);
    const stride = w * 3;
    // Row by row (taps outer, pixels inner) so source rows are read sequentially.
    const acc = new Int32Array(stride);
    for (let yy = 0; yy < outHeight; yy++) {
      const base = yy * c.ksize;
      acc.fill(ROUND_HALF);
      for (let y = 0; y < c.count[yy]; y++) {
        const k = c.weights[base + y];
        const row = (c.start[yy] + y) * stride;
        for (let i = 0; i < stride; i++) acc[i] += current[row + i] * k;
      }
      const o = yy * stride;
      for (let i = 0; i < stride; i++) out[o + i] = clip8(acc[i]);
    }
    current = out;
  }
  return current === pixels ? Uint8Array.from(pixels) : current;
}
