import { describe, expect, it } from 'vitest';
import { Rng } from '../../../main/synthetic/random';
import { fillGaussian, inverseNormalCdf } from '../../../main/synthetic/gaussian-table';

describe('Rng', () => {
  it('repeats the same stream for the same seed and differs for another', () => {
    const a = new Rng(42);
    const b = new Rng('42');
    const c = new Rng(43);
    const sa = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(sa);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(sa);
  });

  it('forks independent streams that do not depend on draws made by the parent', () => {
    const a = new Rng(1);
    const b = new Rng(1);
    b.next();
    b.next();
    expect(a.fork('x', 3).next()).toBe(b.fork('x', 3).next());
    expect(a.fork('x', 3).next()).not.toBe(a.fork('x', 4).next());
  });

  it('keeps uniform, int, pick and shuffle within their contracts', () => {
    const rng = new Rng('ranges');
    const ints = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const u = rng.uniform(-2, 3);
      expect(u).toBeGreaterThanOrEqual(-2);
      expect(u).toBeLessThan(3);
      const k = rng.int(-1, 2);
      expect(Number.isInteger(k)).toBe(true);
      ints.add(k);
    }
    expect([...ints].sort()).toEqual([-1, 0, 1, 2]);
    const items = [1, 2, 3, 4, 5, 6];
    const shuffled = rng.shuffle(items);
    expect(shuffled.slice().sort()).toEqual(items);
    expect(items).toEqual([1, 2, 3, 4, 5, 6]);
    expect(items).toContain(rng.pick(items));
    expect(() => rng.pick([])).toThrow();
  });

  it('draws normals with the requested mean and spread', () => {
    const rng = new Rng('normal');
    const n = 20000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.normal(5, 2);
      sum += v;
      sq += v * v;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(5, 1);
    expect(Math.sqrt(sq / n - mean * mean)).toBeCloseTo(2, 1);
  });

  it('fills table-based gaussian noise with the requested sigma', () => {
    expect(inverseNormalCdf(0.5)).toBeCloseTo(0, 9);
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormalCdf(0.001)).toBeCloseTo(-3.090232, 5);
    const out = new Float32Array(50001);
    fillGaussian(new Rng('table'), out, 7);
    let sum = 0;
    let sq = 0;
    for (const v of out) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / out.length;
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(Math.sqrt(sq / out.length - mean * mean)).toBeCloseTo(7, 1);
  });
});
