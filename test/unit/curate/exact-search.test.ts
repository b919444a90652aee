// The native exact top-k (resident or streamed in chunks) against a plain float64 brute-force scan, and
// the resident matrix cache's invalidation when an embed run appends rows.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exactTopK, mergeTop, type TopK, topKOf } from '../../../main/engine/curate/exact-search';
import { dropResident, residentRows, scanRows } from '../../../main/engine/store/resident-matrix';
import { PlantedVectors } from '../../fixtures/planted-vectors';

const planted = new PlantedVectors({ rows: 5000, dim: 96, clusters: 8, dupRate: 0.03, seed: 5 });
const dir = mkdtempSync(path.join(os.tmpdir(), 'winnow-exact-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function bruteForce(data: Float32Array, dim: number, q: Float32Array, k: number) {
  const n = data.length / dim;
  const all = Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[i * dim + j] * q[j];
    return { i, s };
  });
  return all.sort((a, b) => b.s - a.s || a.i - b.i).slice(0, k);
}

describe('exact top-k', () => {
  const all = planted.read(0, planted.rows);

  it('matches a float64 brute-force scan, resident and streamed in uneven chunks', () => {
    for (const probe of [3, 777, 4999]) {
      // Near-duplicate rows make close scores; a query off any row tests the general case too.
      const q = probe === 777 ? planted.row(777).map((x, j) => x + (j % 7 === 0 ? 0.05 : 0)) : planted.row(probe);
      const want = bruteForce(all, planted.dim, q, 12);
      const resident = topKOf(all, planted.dim, q, 12);
      const streamed = exactTopK(planted, q, 12, 613);
      for (const got of [resident, streamed]) {
        expect([...got.rows]).toEqual(want.map((w) => w.i));
        got.scores.forEach((s, i) => expect(s).toBeCloseTo(want[i].s, 5));
      }
    }
  });

  it('a subarray view is searched as itself, not from the start of its buffer', () => {
    const view = all.subarray(1000 * planted.dim, 2000 * planted.dim);
    const q = planted.row(1500);
    const got = topKOf(view, planted.dim, q, 3, 1000);
    expect(got.rows[0]).toBe(1500);
    expect([...got.rows]).toEqual(bruteForce(view, planted.dim, q, 3).map((w) => w.i + 1000));
  });

  it('k larger than the matrix returns every row', () => {
    const small = planted.read(0, 4);
    expect(topKOf(small, planted.dim, planted.row(2), 10).rows.length).toBe(4);
  });
});

describe('resident matrix', () => {
  it('becomes resident on second use, is reused while the file is unchanged and re-read after rows are appended', () => {
    const file = path.join(dir, 'image.f32');
    writeFileSync(file, new Uint8Array(planted.read(0, 100).buffer));
    expect(residentRows(file, planted.dim, 100)).toBeNull(); // first use: the caller streams
    const first = residentRows(file, planted.dim, 100)!;
    expect([...first.subarray(0, planted.dim)]).toEqual([...planted.row(0)]);
    expect(residentRows(file, planted.dim, 100)).toBe(first);
    appendFileSync(file, new Uint8Array(planted.read(100, 50).buffer));
    const grown = residentRows(file, planted.dim, 150, { always: true })!;
    expect(grown).not.toBe(first);
    expect(grown.length).toBe(150 * planted.dim);
    expect([...grown.subarray(149 * planted.dim, 150 * planted.dim)]).toEqual([...planted.row(149)]);
    dropResident(file);
  });

  it('streams rows in chunks through a reused buffer, each chunk an array of its own', () => {
    const file = path.join(dir, 'scan.f32');
    writeFileSync(file, new Uint8Array(planted.read(0, 1000).buffer));
    const q = planted.row(321);
    const parts: { first: number; length: number; own: boolean }[] = [];
    let best: TopK = { rows: new Int32Array(0), scores: new Float32Array(0) };
    scanRows(file, planted.dim, 1000, (data, first) => {
      parts.push({ first, length: data.length / planted.dim, own: data.byteOffset === 0 && data.byteLength === data.buffer.byteLength });
      best = mergeTop([best, topKOf(data, planted.dim, q, 5, first)], 5);
    }, 300);
    expect(parts).toEqual([0, 300, 600, 900].map((first) => ({ first, length: first === 900 ? 100 : 300, own: true })));
    expect([...best.rows]).toEqual([...topKOf(planted.read(0, 1000), planted.dim, q, 5).rows]);
  });

  it('declines a matrix larger than the budget, so the caller streams it', () => {
    const file = path.join(dir, 'big.f32');
    writeFileSync(file, new Uint8Array(planted.read(0, 200).buffer));
    const saved = process.env.WINNOW_RESIDENT_MB;
    process.env.WINNOW_RESIDENT_MB = '0.01';
    try {
      expect(residentRows(file, planted.dim, 200, { always: true })).toBeNull();
    } finally {
      if (saved === undefined) delete process.env.WINNOW_RESIDENT_MB;
      else process.env.WINNOW_RESIDENT_MB = saved;
    }
  });
});
