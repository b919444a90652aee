// Semantic near-duplicate clustering, search and the PCA map on planted vectors (no model needed).
import { describe, expect, it } from 'vitest';
import { buildIndex, searchBatch } from '../../../main/engine/curate/ann-index';
import { pca2 } from '../../../main/engine/curate/embedding-map';
import { exactTopK } from '../../../main/engine/curate/search';
import { findNearDuplicates, UnionFind } from '../../../main/engine/curate/semantic-dedup';
import { PlantedVectors, scorePlanted } from '../../fixtures/planted-vectors';

const planted = new PlantedVectors({ rows: 3000, dim: 128, clusters: 6, dupRate: 0.04, seed: 3 });

describe('semantic near-duplicates', () => {
  it('union-find groups', () => {
    const uf = new UnionFind(6);
    uf.union(0, 3);
    uf.union(3, 5);
    uf.union(1, 2);
    expect(uf.groups()).toEqual([[0, 3, 5], [1, 2]]);
    expect(uf.union(5, 0)).toBe(false);
  });

  it('graph method (HNSW kNN + union-find) finds every planted pair and nothing else', async () => {
    // One native thread: HNSW built by several threads differs from run to run; the assertions must not.
    const r = await findNearDuplicates(planted, { threshold: 0.95, method: 'graph', k: 8, ann: { threads: 1 } });
    const s = scorePlanted(r.uf, planted);
    expect(s.truePairs).toBeGreaterThan(80);
    expect(s).toMatchObject({ recall: 1, precision: 1 });
  });

  it('semdedup method (k-means + within-cluster exact pairs) agrees', async () => {
    const r = await findNearDuplicates(planted, { threshold: 0.95, method: 'semdedup', clusters: 6, k: 8 });
    const s = scorePlanted(r.uf, planted);
    expect(s.recall).toBeGreaterThanOrEqual(0.98);
    expect(s.precision).toBe(1);
  });

  it('rows read as views of one big array (not copies) give the same result', async () => {
    // The native exact search reads a typed array's buffer from its start; views must be copied first.
    const all = planted.read(0, planted.rows);
    const views = { dim: planted.dim, rows: planted.rows, read: (r: number, c = 1) => all.subarray(r * planted.dim, (r + c) * planted.dim) };
    const r = await findNearDuplicates(views, { threshold: 0.95, method: 'semdedup', clusters: 6, k: 8 });
    const s = scorePlanted(r.uf, planted);
    expect(s.recall).toBeGreaterThanOrEqual(0.98);
    expect(s.precision).toBe(1);
  });

  it('collect mode returns each unordered pair once, with its cosine, instead of joining them', async () => {
    for (const method of ['graph', 'semdedup'] as const) {
      const joined = await findNearDuplicates(planted, { threshold: 0.95, method, clusters: 6, k: 8, ann: { threads: 1 } });
      const collected = await findNearDuplicates(planted, { threshold: 0.95, method, clusters: 6, k: 8, ann: { threads: 1 }, collect: true });
      const keys = collected.candidates.map((c) => `${c.a}-${c.b}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const c of collected.candidates) {
        expect(c.a).toBeLessThan(c.b);
        expect(c.cos).toBeGreaterThanOrEqual(0.95);
        expect(joined.uf.find(c.a)).toBe(joined.uf.find(c.b));
      }
      // Joining the collected pairs gives the same groups.
      const uf = new UnionFind(planted.rows);
      for (const c of collected.candidates) uf.union(c.a, c.b);
      expect(uf.groups()).toEqual(joined.uf.groups());
    }
  });

  it('i8 index: candidates near the threshold are decided on exact cosines', async () => {
    const r = await findNearDuplicates(planted, { threshold: 0.95, method: 'graph', k: 8, ann: { quantization: 'i8', connectivity: 8, expansionAdd: 40, threads: 1 } });
    expect(scorePlanted(r.uf, planted)).toMatchObject({ recall: 1, precision: 1 });
  });

  it('exact top-k scan matches brute force; the index agrees on the nearest rows', async () => {
    const q = planted.row(17);
    const top = exactTopK(planted, q, 5, 256);
    const all = Array.from({ length: planted.rows }, (_, i) => {
      const v = planted.row(i);
      return { i, s: v.reduce((a, x, j) => a + x * q[j], 0) };
    }).sort((a, b) => b.s - a.s);
    expect([...top.rows]).toEqual(all.slice(0, 5).map((x) => x.i));
    expect(top.scores[0]).toBeCloseTo(1, 5);
    const index = await buildIndex(planted);
    const m = searchBatch(index, q, planted.dim, 5);
    expect(Number(m.keys[0])).toBe(17);
    expect(m.sims[0]).toBeCloseTo(1, 2);
  });

  it('PCA by power iteration finds the two directions of largest variance', async () => {
    const dim = 16;
    const rows = 2000;
    const data = new Float32Array(rows * dim);
    for (let i = 0; i < rows; i++) {
      data[i * dim] = 3 * Math.sin(i * 0.37);
      data[i * dim + 5] = 1.5 * Math.cos(i * 0.91);
      data[i * dim + 9] = 0.2 * Math.sin(i * 1.3);
    }
    const src = { dim, rows, read: (r: number, c = 1) => data.slice(r * dim, (r + c) * dim) };
    const p = await pca2(src);
    expect(p.xy.length).toBe(2 * rows);
    // x follows dimension 0 and y dimension 5 (up to sign).
    const corr = (axis: number, d: number) => {
      let sxy = 0, sxx = 0, syy = 0;
      for (let i = 0; i < rows; i++) {
        const a = p.xy[2 * i + axis], b = data[i * dim + d];
        sxy += a * b; sxx += a * a; syy += b * b;
      }
      return Math.abs(sxy / Math.sqrt(sxx * syy));
    };
    expect(corr(0, 0)).toBeGreaterThan(0.99);
    expect(corr(1, 5)).toBeGreaterThan(0.99);
    expect(p.explained[0]).toBeGreaterThan(p.explained[1]);
  });
});
