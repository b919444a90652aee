// The native exact top-k (resident or streamed in chunks) against a plain float64 brute-force scan, and
// the resident matrix cache's invalidation when an embed run appends rows.
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exactTopK, topKOf } from '../../../main/engine/curate/exact-search';
import { dropResident, residentRows, scanChunkRows, streamedRows } from '../../../main/engine/store/resident-matrix';
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

  it('streams rows through a reused chunk buffer; every array owns its buffer and the scan matches the resident one', () => {
    const chunk = scanChunkRows(planted.dim);
    const rows = chunk + 100;
    const big = new PlantedVectors({ rows, dim: planted.dim, clusters: 8, seed: 9 });
    const file = path.join(dir, 'scan.f32');
    writeFileSync(file, new Uint8Array(big.read(0, rows).buffer));
    const src = streamedRows(file, planted.dim, rows);
    try {
      const a = src.read(0, chunk);
      const b = src.read(chunk, rows - chunk);
      const again = src.read(0, chunk);
      expect(again.buffer).toBe(a.buffer); // full chunks reuse one buffer
      for (const x of [a, b]) expect(x.byteOffset === 0 && x.byteLength === x.buffer.byteLength).toBe(true);
      expect([...b.subarray(0, planted.dim)]).toEqual([...big.row(chunk)]);
      const q = big.row(321);
      expect([...exactTopK(src, q, 5, chunk).rows]).toEqual(bruteForce(big.read(0, rows), planted.dim, q, 5).map((w) => w.i));
    } finally {
      src.close();
    }
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
