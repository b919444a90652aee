// Polygon placement and even-odd rasterization with 2x2 supersampling: the one definition of
// "which pixels a shape covers" shared by the render, the masks and (by convention) the Python trainer.

export type Point = [number, number];

export interface Placement {
  cx: number;
  cy: number;
  radius: number;
  rotationDeg: number;
}

/** Unit polygon (-1..1, y down) rotated, scaled by radius and moved to (cx, cy), in pixel units. */
export function transformPolygon(unit: readonly Point[], p: Placement): Point[] {
  const theta = (p.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  return unit.map(([x, y]) => [p.cx + p.radius * (x * cos - y * sin), p.cy + p.radius * (x * sin + y * cos)]);
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function polygonBounds(points: readonly Point[]): Bounds {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

// Sample offsets inside a pixel for 2x2 supersampling; pixel (px, py) spans [px, px+1) x [py, py+1).
const SUBSAMPLES = [0.25, 0.75] as const;
const SAMPLE_WEIGHT = 1 / (SUBSAMPLES.length * SUBSAMPLES.length);

/**
 * Fraction of each pixel's 2x2 sample points inside the polygon (even-odd rule), so values are
 * 0, 0.25, 0.5, 0.75 or 1. Row-major width x height.
 */
export function rasterizeCoverage(points: readonly Point[], width: number, height: number): Float32Array {
  const coverage = new Float32Array(width * height);
  const n = points.length;
  const { minY, maxY } = polygonBounds(points);
  const rowStart = Math.max(0, Math.floor(minY));
  const rowEnd = Math.min(height - 1, Math.ceil(maxY));
  const crossings: number[] = [];
  for (let py = rowStart; py <= rowEnd; py++) {
    for (const dy of SUBSAMPLES) {
      const sy = py + dy;
      crossings.length = 0;
      for (let i = 0; i < n; i++) {
        const [x0, y0] = points[i];
        const [x1, y1] = points[(i + 1) % n];
        // Half-open test so a vertex exactly on the scanline is counted once.
        if (y0 <= sy !== y1 <= sy) crossings.push(x0 + ((sy - y0) * (x1 - x0)) / (y1 - y0));
      }
      crossings.sort((a, b) => a - b);
      const row = py * width;
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const xa = crossings[k];
        const xb = crossings[k + 1];
        for (const dx of SUBSAMPLES) {
          // Sample columns px with xa <= px + dx < xb.
          const first = Math.max(0, Math.ceil(xa - dx));
          const last = Math.min(width - 1, Math.ceil(xb - dx) - 1);
          for (let px = first; px <= last; px++) coverage[row + px] += SAMPLE_WEIGHT;
        }
      }
    }
  }
  return coverage;
}

/** Ground-truth convention: a pixel belongs to a shape when at least half its samples are inside. */
export const MASK_THRESHOLD = 0.5;

/** Binary mask (0/1) of pixels with coverage >= MASK_THRESHOLD. */
export function coverageToMask(coverage: Float32Array): Uint8Array {
  const mask = new Uint8Array(coverage.length);
  for (let i = 0; i < coverage.length; i++) mask[i] = coverage[i] >= MASK_THRESHOLD ? 1 : 0;
  return mask;
}
