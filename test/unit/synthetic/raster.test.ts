import { describe, expect, it } from 'vitest';
import { coverageToMask, polygonBounds, rasterizeCoverage, transformPolygon, type Point } from '../../../main/synthetic/raster';

describe('rasterizeCoverage', () => {
  it('covers pixel-aligned squares fully and half-pixels by half', () => {
    // x 2..5 fully, y 1..3.5: row 3 is half covered (only the 0.25 sample row is inside).
    const cov = rasterizeCoverage(
      [
        [2, 1],
        [5, 1],
        [5, 3.5],
        [2, 3.5],
      ],
      8,
      5,
    );
    const at = (x: number, y: number): number => cov[y * 8 + x];
    expect(at(2, 1)).toBe(1);
    expect(at(4, 2)).toBe(1);
    expect(at(5, 2)).toBe(0);
    expect(at(1, 2)).toBe(0);
    expect(at(3, 3)).toBe(0.5);
    expect(at(3, 4)).toBe(0);
    const mask = coverageToMask(cov);
    expect(mask.reduce((a, b) => a + b, 0)).toBe(3 * 3);
  });

  it('fills with the even-odd rule: a self-intersecting pentagram leaves its centre empty', () => {
    const outer: Point[] = Array.from({ length: 5 }, (_, k) => {
      const t = -Math.PI / 2 + (k * 4 * Math.PI) / 5;
      return [20 + 18 * Math.cos(t), 20 + 18 * Math.sin(t)];
    });
    const cov = rasterizeCoverage(outer, 40, 40);
    expect(cov[20 * 40 + 20]).toBe(0);
    // A point inside one of the tips is filled.
    expect(cov[5 * 40 + 20]).toBe(1);
  });

  it('clips polygons that leave the image', () => {
    const cov = rasterizeCoverage(
      [
        [-5, -5],
        [3, -5],
        [3, 3],
        [-5, 3],
      ],
      4,
      4,
    );
    expect(Array.from(coverageToMask(cov))).toEqual([1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('rotates, scales and moves unit polygons (y down)', () => {
    const square: Point[] = [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ];
    const placed = transformPolygon(square, { cx: 10, cy: 20, radius: 2, rotationDeg: 45 });
    const b = polygonBounds(placed);
    expect(b.minX).toBeCloseTo(10 - 2 * Math.SQRT2, 6);
    expect(b.maxY).toBeCloseTo(20 + 2 * Math.SQRT2, 6);
    const p = transformPolygon([[0, -1]], { cx: 0, cy: 0, radius: 1, rotationDeg: 90 })[0];
    // +90 degrees in y-down coordinates turns "up" (0,-1) to the right (1,0): clockwise on screen.
    expect(p[0]).toBeCloseTo(1, 9);
    expect(p[1]).toBeCloseTo(0, 9);
  });
});
