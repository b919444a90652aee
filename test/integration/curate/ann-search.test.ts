// Search through the saved ANN index vs an exact float64 brute-force scan of the planted vectors the project
// was built from: recall@10 ≥ 0.95 through the index; the switch between exact and index (small projects scan
// exactly unless the budget says otherwise); a stale index (rows appended, or the tail rewritten with the same
// row count) is never used; the search.index job makes it current again; `exact: true` always scans. The recall
// gate: an index whose recall is unmeasured or measured below MIN_INDEX_RECALL (a sidecar saying so, or an
// index built to answer wrongly) never answers an 'auto' search, whose hits then equal brute force. The saved
// int8 copy the exact scan runs from: exact hits (k 1, 10, 50) with the float32 matrix never resident; a stale,
// truncated, altered (bytes) or wrong (codes of other rows under a forged sidecar) copy is never trusted.
import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Dispatch } from '../../../main/api/handlers';
import { buildIndex, readIndexMeta, rowsDigest, saveIndex, saveIndexMeta, saveSidecar } from '../../../main/engine/curate/ann-index';
import { MIN_INDEX_RECALL } from '../../../main/engine/curate/ann-recall';
import { imageRows, indexFile } from '../../../main/engine/curate/semantic-job';
import { exactIsSlow, savedIndex, savedQuantized, searchVector } from '../../../main/engine/curate/search';
import { buildQuantized, copyScan, quantizedFile, removeQuantized } from '../../../main/engine/curate/quantized-index';
import { quantizedScans } from '../../../main/engine/curate/quantized-scan';
import { dropResident, residentRows } from '../../../main/engine/store/resident-matrix';
import { predictedScanMs } from '../../../main/engine/curate/scan-cost';
import { SEARCH_INDEX_JOB, searchIndexJob } from '../../../main/engine/curate/search-index-job';
import type { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { MatrixFile } from '../../../main/engine/store/matrix-file';
import type { EmbeddingSet } from '../../../main/engine/store/embeddings';
import { tempDir } from '../../fixtures/images';
import { bruteForceItems, plantedSearchProject } from '../../fixtures/search-truth';
import { mulberry32 } from '../../../main/engine/curate/kmeans';

const ROWS = 20_000;
const DIM = 128;
let engine: Engine;
let project: Project;
let set: EmbeddingSet;
let call: Dispatch;
/** Every row the matrix holds, as the test wrote it (the brute force reads this, never the project). */
let rows: Float32Array[];

function normalized(v: Float32Array): Float32Array {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

/** Item ids of the k rows with the largest float64 dot product with q. */
const bruteForce = (q: Float32Array, k: number) => bruteForceItems(project, set, rows, q, k);

/** Queries near planted rows (noised) and off them (random directions). */
function queries(n: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => normalized(i % 2 === 0
    ? rows[Math.floor(rnd() * rows.length)].map((x) => x + (rnd() - 0.5) * 0.1)
    : Float32Array.from({ length: DIM }, () => rnd() - 0.5)));
}

function withBudget<T>(ms: string, f: () => T): T {
  process.env.WINNOW_EXACT_SCAN_MS = ms;
  try {
    return f();
  } finally {
    delete process.env.WINNOW_EXACT_SCAN_MS;
  }
}

/** The search.index job's typed result. */
function indexJobResult(job: { id: number }): { rows: number; built: boolean; recall?: number; quantizedBuilt?: boolean } {
  return project.jobs.result(searchIndexJob(project, engine.active), job.id)!;
}

/** Adds an item whose image row is `row` with vector `v` (what an embed run does for one item). */
function embedItem(row: number, v: Float32Array): number {
  const m = new MatrixFile(project.embeddings.matrixPath(set, 'image'), DIM);
  m.write(row, v);
  m.close();
  const source = project.db.prepare('SELECT id FROM sources LIMIT 1').pluck().get() as number;
  const id = Number(project.db.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (?, ?, ?, 'jpeg', 8, 8, 1, ?)`)
    .run(source, `added-${row}-${Math.random()}`, `/x/${row}.jpg`, `added${row}${Math.random()}`).lastInsertRowid);
  project.embeddings.addItem(set, id, row, null);
  rows[row] = v;
  return id;
}

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  ({ engine, project, set, rows, call } = await plantedSearchProject(path.join(await tempDir(), 'project'), ROWS, DIM, true));
}, 120_000);

afterAll(async () => {
  await engine.close();
  delete process.env.WINNOW_HOME;
});

describe('search through the saved ANN index', () => {
  it('recall@10 vs exact brute force is at least 0.95', () => {
    expect(savedIndex(project, set, ROWS).state).toBe('current');
    let found = 0;
    const qs = queries(60, 3);
    for (const q of qs) {
      const res = searchVector(project, set, q, 10, undefined, 'index');
      expect(res.method).toBe('index');
      const truth = new Set(bruteForce(q, 10));
      found += res.hits.filter((h) => truth.has(h.itemId)).length;
    }
    const recall = found / (qs.length * 10);
    console.log(`recall@10 through the index: ${recall.toFixed(3)} over ${qs.length} queries (${ROWS} × ${DIM})`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });

  it('an unmeasured index never answers; the search.index job measures it (without rebuilding) and then it does', async () => {
    const q = queries(2, 5)[1];
    expect(readIndexMeta(indexFile(project, set))?.recall).toBeUndefined();
    const before = withBudget('0', () => searchVector(project, set, q, 10));
    expect(before).toMatchObject({ method: 'exact', index: 'current', slowExact: true });
    expect(before.indexRecall).toBeUndefined();
    expect(before.hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
    const builtAt = readIndexMeta(indexFile(project, set))!.builtAt;
    process.env.WINNOW_EXACT_SCAN_MS = '0';
    try {
      const api = (await call('search.text', { query: 'a photo of a red circle', k: 10 })) as { method: string; indexJobId?: number };
      expect(api.method).toBe('exact');
      expect(api.indexJobId).toBeTypeOf('number');
      const job = await project.jobs.wait(api.indexJobId!);
      expect(job).toMatchObject({ kind: SEARCH_INDEX_JOB, state: 'done' });
      expect(indexJobResult(job)).toMatchObject({ rows: ROWS, built: false });
    } finally {
      delete process.env.WINNOW_EXACT_SCAN_MS;
    }
    const meta = readIndexMeta(indexFile(project, set))!;
    expect(meta.builtAt).toBe(builtAt);
    // Text probes (the project's captions through the built-in model's text tower) and image probes.
    expect(meta.recall).toMatchObject({ probes: expect.any(Number), text: expect.any(Number), images: expect.any(Number) });
    console.log(`recall gate on ${ROWS} × ${DIM}: ${JSON.stringify(meta.recall)}`);
    expect(meta.recall!.recall).toBeGreaterThanOrEqual(MIN_INDEX_RECALL);
    const after = withBudget('0', () => searchVector(project, set, q, 10));
    expect(after).toMatchObject({ method: 'index', indexRecall: meta.recall!.recall });
  });

  it('a small project scans exactly unless the scan budget is below its measured cost; exact hits equal brute force', () => {
    const q = queries(1, 7)[0];
    // A budget well above this machine's measured cost (not the default: under CI load a 20k scan can exceed it).
    const ample = String(Math.ceil(10 * predictedScanMs(ROWS, DIM)) + 5);
    expect(withBudget(ample, () => exactIsSlow(ROWS, DIM))).toBe(false);
    const auto = withBudget(ample, () => searchVector(project, set, q, 10));
    expect(auto.method).toBe('exact');
    expect(auto.hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
    // The switch point is rows × dims × this machine's cost per element: a zero budget makes any scan slow.
    expect(withBudget('0', () => searchVector(project, set, q, 10).method)).toBe('index');
    expect(predictedScanMs(2 * ROWS, DIM)).toBeCloseTo(2 * predictedScanMs(ROWS, DIM), 6);
    // Deeper than the graph's beam: exact even where the index would answer.
    expect(withBudget('0', () => searchVector(project, set, q, 600).method)).toBe('exact');
  });

  it('an index older than appended rows is stale: exact results that include the new rows, and the API starts the index job', async () => {
    const v = normalized(Float32Array.from({ length: DIM }, (_, j) => Math.cos(j * 0.37)));
    const id = embedItem(ROWS, v);
    expect(savedIndex(project, set, ROWS + 1).state).toBe('stale');
    const res = withBudget('0', () => searchVector(project, set, v, 10));
    expect(res).toMatchObject({ method: 'exact', index: 'stale', slowExact: true });
    expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(v, 10));
    expect(res.hits[0].itemId).toBe(id);

    process.env.WINNOW_EXACT_SCAN_MS = '0';
    try {
      const api = (await call('search.similar', { itemId: id, k: 10 })) as { method: string; index: string; indexJobId?: number; hits: { itemId: number }[] };
      expect(api).toMatchObject({ method: 'exact', index: 'stale' });
      expect(api.indexJobId).toBeTypeOf('number');
      const job = await project.jobs.wait(api.indexJobId!);
      expect(job).toMatchObject({ kind: SEARCH_INDEX_JOB, state: 'done' });
      const after = (await call('search.similar', { itemId: id, k: 10 })) as typeof api;
      expect(after).toMatchObject({ method: 'index', index: 'current' });
      expect(after.indexJobId).toBeUndefined();
      const exact = (await call('search.similar', { itemId: id, k: 10, exact: true })) as typeof api;
      expect(exact).toMatchObject({ method: 'exact', index: 'current' });
    } finally {
      delete process.env.WINNOW_EXACT_SCAN_MS;
    }
  });

  it('a tail rewritten to the same row count is stale too (the digest, not the count, decides)', () => {
    const n = ROWS + 1;
    expect(savedIndex(project, set, n).state).toBe('current');
    // The last item goes, and a new one is embedded into the freed row: the count is what the index covers.
    project.db.prepare('DELETE FROM embedding_rows WHERE set_id = ? AND image_row = ?').run(set.id, n - 1);
    const v = normalized(Float32Array.from({ length: DIM }, (_, j) => Math.sin(j * 0.91 + 1)));
    const id = embedItem(n - 1, v);
    expect(project.embeddings.committedImageRows(set)).toBe(n);
    expect(savedIndex(project, set, n).state).toBe('stale');
    const res = withBudget('0', () => searchVector(project, set, v, 10));
    expect(res.method).toBe('exact');
    expect(res.hits[0].itemId).toBe(id);
    expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(v, 10));
    expect(indexFile(project, set)).toMatch(/image\.usearch$/);
  });

  it('an index measured below the gate is never used by an auto search: a sidecar saying so, or an index that answers wrongly', async () => {
    const n = project.embeddings.committedImageRows(set);
    const file = indexFile(project, set);
    const qfile = quantizedFile(project, set);
    const qs = queries(6, 11);
    // A zero budget: the int8 copy's search is over it, so the job builds and measures the graph (graph-not-needed.test.ts covers the other branch).
    const job = async () => {
      process.env.WINNOW_EXACT_SCAN_MS = '0';
      try {
        const run = await project.jobs.wait(project.jobs.start(SEARCH_INDEX_JOB, { model: set.model }).id);
        expect(run.state).toBe('done');
        return indexJobResult(run);
      } finally {
        delete process.env.WINNOW_EXACT_SCAN_MS;
      }
    };
    const built = await job();
    expect(built).toMatchObject({ built: true, quantizedBuilt: true }); // the tail rewrite above made both stale
    expect(withBudget('0', () => searchVector(project, set, qs[0], 10).method)).toBe('index');
    // Measured below the gate (a sidecar saying so): exact, from the saved int8 copy, equal to brute force.
    const meta = readIndexMeta(file)!;
    saveIndexMeta(file, { ...meta, recall: { ...meta.recall!, recall: MIN_INDEX_RECALL - 0.01 } });
    const bounded = quantizedScans.bounded;
    for (const q of qs) {
      const res = withBudget('0', () => searchVector(project, set, q, 10));
      expect(res).toMatchObject({ method: 'exact', index: 'current', indexRecall: MIN_INDEX_RECALL - 0.01 });
      expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
    }
    expect(quantizedScans.bounded - bounded).toBe(qs.length);
    // A graph whose key r holds the vector of row r + 1, and an int8 copy whose row r holds row r + 1's codes
    // (its own digest of the codes right): current by the rows' digests, and wrong on every query.
    // The forged sidecar keeps the right copy's timing too, so that the job does not time (and so catch) it.
    const timing = copyScan(qfile);
    expect(timing).toMatchObject({ ms: expect.any(Number) });
    const src = imageRows(project, set);
    const shifted = { dim: DIM, rows: n, read: (row: number, count = 1) => {
      const out = new Float32Array(count * DIM);
      for (let i = 0; i < count; i++) out.set(src.read((row + i + 1) % n, 1), i * DIM);
      return out;
    } };
    const plantWrongCopy = async (scan?: ReturnType<typeof copyScan>) => {
      const wrong = (await buildQuantized(shifted, qfile, set.model))!;
      saveSidecar(qfile, { ...wrong, digest: rowsDigest(src), ...(scan && { scan }) });
    };
    saveIndex(await buildIndex(shifted), file, { ...meta, recall: undefined, digest: rowsDigest(src) });
    await plantWrongCopy(timing);
    expect(savedIndex(project, set, n).state).toBe('current');
    expect(savedQuantized(project, set, n).state).toBe('current');
    const measured = await job();
    expect(measured).toMatchObject({ built: false, quantizedBuilt: false });
    expect(measured.recall!).toBeLessThan(MIN_INDEX_RECALL);
    for (const q of qs) {
      const res = withBudget('0', () => searchVector(project, set, q, 10));
      expect(res.method).toBe('exact');
      expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
      // The graph forced: what the gate kept out.
      expect(searchVector(project, set, q, 10, undefined, 'index').hits.map((h) => h.itemId)).not.toEqual(bruteForce(q, 10));
    }
    // The wrong copy was caught by the first re-scored row whose codes are not its own, and removed.
    expect(existsSync(qfile)).toBe(false);
    expect(savedQuantized(project, set, n).state).toBe('missing');
    // The API neither claims an index nor restarts the job for a measured, failing graph... once the copy is back.
    const rebuilt = await job();
    expect(rebuilt).toMatchObject({ built: false, quantizedBuilt: true });
    process.env.WINNOW_EXACT_SCAN_MS = '0';
    try {
      const api = (await call('search.text', { query: 'a yellow star', k: 10 })) as { method: string; indexJobId?: number; indexRecall?: number };
      expect(api.method).toBe('exact');
      expect(api.indexJobId).toBeUndefined();
      expect(api.indexRecall).toBe(rebuilt.recall);
    } finally {
      delete process.env.WINNOW_EXACT_SCAN_MS;
    }
    // A wrong copy not yet timed: the job's timing reads its rows, catches it, and builds the copy again.
    await plantWrongCopy();
    expect(await job()).toMatchObject({ built: false, quantizedBuilt: true });
    expect(copyScan(qfile)).toMatchObject({ ms: expect.any(Number) });
    src.close();
    for (const q of qs) expect(searchVector(project, set, q, 10, undefined, 'exact').hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
  });

  it('the saved int8 copy answers exact searches with brute force\'s top 10, without the float32 matrix resident; a truncated or altered copy is never scanned', async () => {
    removeQuantized(quantizedFile(project, set));
    const run = await project.jobs.wait(project.jobs.start(SEARCH_INDEX_JOB, { model: set.model }).id);
    expect(indexJobResult(run)).toMatchObject({ built: false, quantizedBuilt: true });
    const n = project.embeddings.committedImageRows(set);
    const matrix = project.embeddings.matrixPath(set, 'image');
    dropResident(matrix);
    const qs = queries(60, 13);
    const bounded = quantizedScans.bounded;
    for (const q of [...qs, ...qs.slice(0, 6).map((q) => q.map((x) => x * 3.7))]) {
      for (const k of [1, 10, 50]) {
        const res = searchVector(project, set, q, k, undefined, 'exact');
        expect(res.method).toBe('exact');
        expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(q, k));
      }
    }
    expect(quantizedScans.bounded - bounded).toBe(3 * 66);
    expect(residentRows(matrix, DIM, n)).toBeNull(); // a first look: the float32 matrix was never asked for (the codes answered)
    // A truncated copy (a crash mid-write, a full disk) is stale, never read: search stays correct.
    const qfile = quantizedFile(project, set);
    const whole = readFileSync(qfile);
    truncateSync(qfile, 1000);
    expect(savedQuantized(project, set, n).state).toBe('stale');
    const res = searchVector(project, set, qs[0], 10, undefined, 'exact');
    expect(res).toMatchObject({ method: 'exact', unproven: true });
    expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(qs[0], 10));
    // Its bytes altered (the size and sidecar unchanged): the codes' digest no longer matches, and the copy is
    // removed on load, never scanned. Here the top row of qs[1] gets codes that score it low, which a scan of
    // the altered codes would leave out of the pool while the bound (over the other rows' norms) still held.
    const top = rows.map((row, r) => ({ r, s: row.reduce((a, x, j) => a + x * qs[1][j], 0) })).sort((a, b) => b.s - a.s)[0].r;
    for (let j = 0; j < DIM; j++) whole[top * DIM + j] = qs[1][j] > 0 ? 0x81 : 0x7f; // −127 where the query is positive
    writeFileSync(qfile, whole);
    expect(savedQuantized(project, set, n).state).toBe('current'); // the rows' digest cannot see it
    const altered = searchVector(project, set, qs[1], 10, undefined, 'exact');
    expect(altered.hits.map((h) => h.itemId)).toEqual(bruteForce(qs[1], 10));
    expect(existsSync(qfile)).toBe(false);
  });
});
