// The int8-guided exact top-k against two independent scans of the same float32 matrix: a float64 JS brute
// force (rows, where scores are apart by far more than float32 rounding) and usearch's float32 scan of every
// row (rows and scores, bit for bit). Data: planted clusters with near-duplicates, and adversarial matrices
// where the int8 codes cannot tell the top rows apart (near-ties 1e-5 apart, far below the int8 error), where
// the query's or the rows' rounding hides the true top row behind 300 rows that lead in int8 only (each fails
// if its term of the bound is left out), an outlier dimension, unnormalized rows and queries, and a width that
// needs fewer than 127 levels. Every case also runs through the saved copy (quantized-index.ts: built in two
// streamed passes into a file, loaded with its digest checked, candidates read row by row), which must make the
// same codes and bound as the copy in memory and give the same answer. Codes in parts (one buffer and one native scan
// each, merged): top rows at every part's first and last row, and near-ties whose pool outgrows a part.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { topKOf } from '../../../main/engine/curate/exact-search';
import { mulberry32 } from '../../../main/engine/curate/kmeans';
import { buildQuantized, loadQuantized, quantizedState, type SavedCopy, savedCopyTopK } from '../../../main/engine/curate/quantized-index';
import { FIRST_POOL, levelsFor, type Quantized, quantize, quantizedFor, quantizedTopK, whenQuantized } from '../../../main/engine/curate/quantized-scan';
import { PlantedVectors } from '../../fixtures/planted-vectors';

function bruteForce64(data: Float32Array, dim: number, q: Float32Array, k: number): { rows: number[]; scores: number[] } {
  const all = Array.from({ length: data.length / dim }, (_, i) => {
    let s = 0;
    for (let j = 0; j < dim; j++) s += data[i * dim + j] * q[j];
    return { i, s };
  }).sort((a, b) => b.s - a.s || a.i - b.i).slice(0, k);
  return { rows: all.map((a) => a.i), scores: all.map((a) => a.s) };
}

/** Every code, parts joined in row order. */
const codeBytes = (qz: Quantized) => Buffer.concat(qz.parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));

const dir = mkdtempSync(path.join(os.tmpdir(), 'quantized-scan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** The saved copy of each matrix, built once. */
const saved = new WeakMap<Float32Array, SavedCopy>();
let files = 0;

/** Rows of `data` read as from a matrix file: a fresh array per read. */
function rowSource(data: Float32Array, dim: number) {
  return { dim, rows: data.length / dim, read: (row: number, count = 1) => data.slice(row * dim, (row + count) * dim) };
}

async function savedCopyOf(data: Float32Array, dim: number): Promise<SavedCopy> {
  let copy = saved.get(data);
  if (!copy) {
    const file = path.join(dir, `copy-${files++}.i8`);
    expect(await buildQuantized(rowSource(data, dim), file, 'test')).not.toBeNull();
    copy = loadQuantized(file, data.length / dim, dim)!;
    const once = quantize(data, dim)!;
    expect(Buffer.compare(codeBytes(copy.qz), codeBytes(once))).toBe(0);
    expect(copy.qz.partRows).toBe(once.partRows);
    expect([...copy.qz.step]).toEqual([...once.step]);
    expect([copy.qz.maxCodeNorm, copy.qz.maxErrNorm, copy.qz.maxRowNorm, copy.qz.levels]).toEqual([once.maxCodeNorm, once.maxErrNorm, once.maxRowNorm, once.levels]);
    saved.set(data, copy);
  }
  return copy;
}

/**
 * Asserts the fast path's answer is the float32 scan's, row for row and bit for bit, and the float64 one's
 * rows; and that the saved copy answers the same, re-scoring the same pool.
 */
async function expectExact(data: Float32Array, dim: number, q: Float32Array, k: number, minGap = 1e-6) {
  const qz = quantize(data, dim)!;
  const got = quantizedTopK(data, qz, q, k);
  const fromFile = savedCopyTopK(await savedCopyOf(data, dim), rowSource(data, dim), q, k, () => topKOf(data, dim, q, k));
  expect([...fromFile.rows]).toEqual([...got.rows]);
  expect([...fromFile.scores]).toEqual([...got.scores]);
  expect([fromFile.rescored, fromFile.bounded]).toEqual([got.rescored, got.bounded]);
  const f32 = topKOf(data, dim, q, k);
  expect([...got.rows]).toEqual([...f32.rows]);
  expect([...got.scores]).toEqual([...f32.scores]);
  const f64 = bruteForce64(data, dim, q, k + 1);
  // The float64 order is the true one wherever neighbouring scores are apart by more than float32 rounding.
  const separated = f64.scores.every((s, i) => i === 0 || f64.scores[i - 1] - s > minGap);
  if (separated) expect([...got.rows]).toEqual(f64.rows.slice(0, k));
  return got;
}

function unit(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** 60,000 rows, every 20th scoring 0.9 − 1e-5 · (its rank, shuffled against the row order) with `q`, far below the int8 error apart. */
function nearTies(): { data: Float32Array; dim: number; q: Float32Array } {
  const dim = 64;
  const rnd = mulberry32(11);
  const q = unit(Float32Array.from({ length: dim }, () => rnd() - 0.5));
  const rows = 60_000;
  const data = new Float32Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    // Every 20th row scores exactly cos θ = 0.9 − 1e-5 · (its rank, shuffled against the row order) with q:
    // q cos θ + u sin θ, u a random unit vector orthogonal to q; the rest are random directions (scores ~0 ± 0.12).
    const u = Float32Array.from({ length: dim }, () => rnd() - 0.5);
    if (r % 20 === 0) {
      const along = u.reduce((a, x, j) => a + x * q[j], 0);
      const w = unit(u.map((x, j) => x - along * q[j]));
      const cos = 0.9 - 1e-5 * ((r / 20) * 1597 % 3000);
      const sin = Math.sqrt(1 - cos * cos);
      data.set(w.map((x, j) => q[j] * cos + x * sin), r * dim);
    } else data.set(unit(u), r * dim);
  }
  return { data, dim, q };
}

describe('int8-guided exact top-k', () => {
  it('equals the float32 and float64 brute-force scans on planted clusters, re-scoring only a small pool', async () => {
    const planted = new PlantedVectors({ rows: 20_000, dim: 96, clusters: 20, dupRate: 0.03, seed: 3 });
    const data = planted.read(0, planted.rows);
    const rnd = mulberry32(7);
    let bounded = 0;
    for (let t = 0; t < 24; t++) {
      const q = t % 2 === 0
        ? unit(planted.row(Math.floor(rnd() * planted.rows)).map((x) => x + (rnd() - 0.5) * 0.05))
        : unit(Float32Array.from({ length: planted.dim }, () => rnd() - 0.5));
      const got = await expectExact(data, planted.dim, q, t % 3 === 0 ? 1 : 15);
      if (got.bounded && got.rescored <= FIRST_POOL) bounded++;
    }
    expect(bounded).toBeGreaterThanOrEqual(20); // the int8 pass did the work, not the float32 fallback
  });

  it('near-ties below the int8 error: 3,000 rows 1e-5 apart in score, in no particular row order', async () => {
    const { data, dim, q } = nearTies();
    for (const k of [1, 10, 50]) {
      const got = await expectExact(data, dim, q, k);
      expect(got.rescored).toBeGreaterThan(FIRST_POOL); // the first pool could not separate them: it grew
    }
  });

  it("the query's own int8 rounding: a row it hides most, behind 300 rows that score higher in int8 only", async () => {
    // Rows on the int8 grid (x = code · 2⁻¹⁰ exactly, so the rows' rounding error is 0 and only the query's counts).
    // Query (1, 10.49/127, …): its codes are (127, 10, …), each rounded down by 0.49 of a step. Row B = (0, 127, …)
    // loses the most to that: int8 19,050 steps, float 19,983. 300 decoys (127, codes summing to 300–360) score
    // 19,129–19,729 in int8 (above B) but at most 19,905 in float32 (below B). B is the top 1 only if the bound
    // counts the query's rounding; the first pool of 256 holds decoys alone.
    const dim = 16;
    const s = 2 ** -10;
    const rnd = mulberry32(21);
    const rows = 10_000;
    const codes: number[][] = [[127, ...Array(15).fill(-127)], [0, ...Array(15).fill(127)]]; // the first sets every step to 2⁻¹⁰
    for (let d = 0; d < 300; d++) {
      const c = [127, ...Array(15).fill(0)];
      for (let left = 300 + (d % 61); left > 0; left--) {
        const j = 1 + Math.floor(rnd() * 15);
        if (c[j] < 127) c[j]++;
        else left++;
      }
      codes.push(c);
    }
    while (codes.length < rows) codes.push(Array.from({ length: dim }, () => Math.floor(rnd() * 81) - 40));
    const order = codes.map((_, i) => i).sort(() => rnd() - 0.5); // B at no particular row
    const data = new Float32Array(rows * dim);
    order.forEach((from, r) => codes[from].forEach((c, j) => (data[r * dim + j] = c * s)));
    const q = Float32Array.from({ length: dim }, (_, j) => (j === 0 ? 1 : 10.49 / 127));
    const b = order.indexOf(1);
    const got = await expectExact(data, dim, q, 1);
    expect(got.rows[0]).toBe(b);
    expect(got.rescored).toBeGreaterThan(FIRST_POOL);
  });

  it.each([false, true])("the rows' own int8 rounding: a row it hides most, behind 300 rows that score higher in int8 only (a lead row too: %s)", async (lead) => {
    // The query (1, …, 1) is on the int8 grid; decoys are too (x = code · 2⁻¹⁰): only row B's rounding counts.
    // B = 126.49 · 2⁻¹⁰ in every dimension: int8 2,016 steps, float 2,023.84. Decoys (126 or 127, summing to
    // 2,017–2,023) are above B in int8 and below it in float32. The lead row A (126.51 in 15 dimensions, 125.51 in
    // one) tops the int8 scores (2,031) and is below B in float32 (2,023.16): the first prefix re-scored, cut where
    // int8 scores fall the bound (7.84) under A's, holds A and a few decoys, and proves nothing, since the best int8
    // score it leaves out, a decoy's, plus the bound is above A's float32 score; only the pool's lowest score is not.
    const dim = 16;
    const s = 2 ** -10;
    const rnd = mulberry32(22);
    const rows = 10_000;
    const vectors: number[][] = [Array(dim).fill(-127), Array(dim).fill(126.49)]; // the first sets every step to 2⁻¹⁰
    if (lead) vectors.push([125.51, ...Array(dim - 1).fill(126.51)]);
    for (let d = 0; d < 300; d++) {
      const c = Array(dim).fill(126);
      for (let up = 1 + (d % 7); up > 0; ) {
        const j = Math.floor(rnd() * dim);
        if (c[j] === 126) (c[j] = 127), up--;
      }
      vectors.push(c);
    }
    while (vectors.length < rows) vectors.push(Array.from({ length: dim }, () => Math.floor(rnd() * 81) - 40));
    const order = vectors.map((_, i) => i).sort(() => rnd() - 0.5);
    const data = new Float32Array(rows * dim);
    order.forEach((from, r) => vectors[from].forEach((v, j) => (data[r * dim + j] = v * s)));
    const got = await expectExact(data, dim, new Float32Array(dim).fill(1), 1);
    expect(got.rows[0]).toBe(order.indexOf(1));
    expect(got.rescored).toBeGreaterThan(FIRST_POOL);
  });

  it('an outlier dimension, unnormalized rows and queries, exact duplicates', async () => {
    const dim = 48;
    const rnd = mulberry32(5);
    const rows = 30_000;
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) {
      const norm = 0.2 + 3 * rnd();
      for (let j = 0; j < dim; j++) data[r * dim + j] = norm * (rnd() - 0.5) * (j === 5 && r % 1000 === 0 ? 40 : 1);
    }
    // Rows 17 and 4321 are one long vector (off the outlier dimension): the top two for itself, tied, lower row first.
    const dup = unit(Float32Array.from({ length: dim }, (_, j) => (j === 5 ? 0 : rnd() - 0.5))).map((x) => 10 * x);
    data.set(dup, 17 * dim);
    data.set(dup, 4321 * dim);
    for (let t = 0; t < 6; t++) {
      const q = t === 0 ? dup : Float32Array.from({ length: dim }, () => 5 * (rnd() - 0.5));
      const got = await expectExact(data, dim, q, 10);
      if (t === 0) expect([...got.rows.slice(0, 2)]).toEqual([17, 4321]);
    }
  });

  it('wide rows get fewer levels so integer dot products stay exact in float32', async () => {
    expect(levelsFor(512)).toBe(127);
    expect(levelsFor(1536)).toBeLessThan(127);
    const dim = 1536;
    expect(levelsFor(dim) ** 2 * dim).toBeLessThan(2 ** 24);
    const planted = new PlantedVectors({ rows: 2000, dim, clusters: 4, seed: 8 });
    const data = planted.read(0, planted.rows);
    for (const r of [5, 1234]) await expectExact(data, dim, unit(planted.row(r).map((x, j) => x + 0.02 * Math.sin(j))), 10);
  });

  it('no int8 copy for non-finite values or small matrices', async () => {
    const data = new Float32Array(40_000 * 32).map((_, i) => Math.sin(i));
    data[12345] = Number.NaN;
    expect(quantize(data, 32)).toBeNull();
    expect(await whenQuantized(data, 32)).toBeNull();
    expect(quantizedFor(data, 32)).toBeNull();
    expect(quantizedFor(new Float32Array(1000 * 32), 32)).toBeNull();
    const file = path.join(dir, 'non-finite.i8');
    const src = rowSource(data, 32);
    expect(await buildQuantized(src, file, 'test')).toBeNull();
    expect(loadQuantized(file, 40_000, 32)).toBeNull(); // no codes were written
    // Recorded as impossible for these rows, so a slow search does not start the job again; rows changed, it is stale.
    expect(quantizedState(file, src)).toBe('current');
    data[0] = 2; // a row the digest reads
    expect(quantizedState(file, src)).toBe('stale');
  });

  it('the copy of a resident matrix is made in steps after the first call, equals the one made at once, and is kept', async () => {
    const data = new Float32Array(70_000 * 32).map((_, i) => Math.sin(i * 0.7) * (1 + (i % 32)));
    expect(quantizedFor(data, 32)).toBeNull(); // not made inside the call: a search meanwhile scans float32
    let made = false;
    const pending = whenQuantized(data, 32).then((q) => ((made = true), q));
    await new Promise((resolve) => setImmediate(resolve));
    expect(made).toBe(false); // one step done, more to go
    const copy = (await pending)!;
    expect(quantizedFor(data, 32)).toBe(copy);
    expect(await whenQuantized(data, 32)).toBe(copy);
    const once = quantize(data, 32)!;
    expect(Buffer.compare(codeBytes(copy), codeBytes(once))).toBe(0); // toEqual walks 2M values slowly
    expect([copy.maxCodeNorm, copy.maxErrNorm, copy.maxRowNorm]).toEqual([once.maxCodeNorm, once.maxErrNorm, once.maxRowNorm]);
  });
});

describe('codes in parts (each its own buffer, scanned one call each and merged)', () => {
  /** Runs `body` with parts of `rows` rows (the default is 2¹⁸, more than these matrices have). */
  async function inParts(rows: number, body: () => Promise<void>) {
    const was = process.env.WINNOW_I8_PART_ROWS;
    process.env.WINNOW_I8_PART_ROWS = String(rows);
    try {
      await body();
    } finally {
      if (was === undefined) delete process.env.WINNOW_I8_PART_ROWS;
      else process.env.WINNOW_I8_PART_ROWS = was;
    }
  }

  it("the top rows at every part's first and last row, the last row of a shorter last part, and 300 in one part", () => inParts(1000, async () => {
    // 10,500 rows in parts of 1,000 (the last of 500). The top 22 for q are the first and last row of each part (scores
    // 0.95 down to 0.74, ranked against the row order), the next 300 rows 4,100–4,399 (0.70 down to 0.40); every other
    // row scores under 0.3. A part left out of the scan, or a part's rows taken at another offset, loses some of the 22;
    // a part giving fewer than min(pool, its rows) candidates loses some of the 300 (the top 322's pool is 2,576).
    const dim = 24;
    const rows = 10_500;
    const rnd = mulberry32(31);
    const q = unit(Float32Array.from({ length: dim }, () => rnd() - 0.5));
    const data = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) data.set(unit(Float32Array.from({ length: dim }, () => rnd() - 0.5)).map((x) => 0.3 * x), r * dim);
    const plant = (row: number, cos: number) => {
      const u = Float32Array.from({ length: dim }, () => rnd() - 0.5);
      const along = u.reduce((a, x, j) => a + x * q[j], 0);
      const w = unit(u.map((x, j) => x - along * q[j]));
      data.set(w.map((x, j) => q[j] * cos + x * Math.sqrt(1 - cos * cos)), row * dim);
    };
    const ends = Array.from({ length: 11 }, (_, p) => [p * 1000, Math.min(rows, (p + 1) * 1000) - 1]).flat();
    ends.forEach((row, i) => plant(row, 0.95 - 0.01 * ((i * 7) % ends.length)));
    const inOne = Array.from({ length: 300 }, (_, i) => 4100 + i);
    inOne.forEach((row, i) => plant(row, 0.7 - 0.001 * ((i * 7) % inOne.length)));
    const qz = quantize(data, dim)!;
    expect(qz.parts.map((p) => p.length / dim)).toEqual([...Array(10).fill(1000), 500]);
    const sorted = (a: ArrayLike<number>) => [...Array.from(a)].sort((x, y) => x - y);
    for (const top of [ends, [...ends, ...inOne]]) {
      const got = await expectExact(data, dim, q, top.length);
      expect(sorted(got.rows)).toEqual(sorted(top));
      expect(got.bounded).toBe(true); // the merged first pool proved it (no whole float32 scan)
    }
  }));

  it('near-ties with a pool grown past the part size (each part gives all its rows)', () => inParts(300, async () => {
    const { data, dim, q } = nearTies();
    expect(quantize(data, dim)!.parts).toHaveLength(200);
    for (const k of [1, 50]) {
      const got = await expectExact(data, dim, q, k);
      expect(got.rescored).toBeGreaterThan(300);
    }
  }));
});
