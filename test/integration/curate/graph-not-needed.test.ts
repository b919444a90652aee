// The search.index job's choice between the int8 copy alone and the HNSW graph, on a real project whose float32
// matrix is over the resident budget while its int8 copy fits (as at 1M × 128): the job times the copy's exact
// search on this machine and, within the (injected) budget, builds no graph (a stale one left from before is
// removed, a current one kept), and records the timing in the copy's sidecar; search then reports the graph as 'not-needed' with that timing, starts
// no job, and its hits equal a float64 brute force, also after the project is reopened with every cache dropped.
// Over budget (a budget below the timing, or rows appended and the budget lowered) the job builds the graph;
// rows appended within budget make a new copy, timed again, and the stale graph goes. A
// timing taken on another machine does not count: the job times the copy again without rebuilding it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import { readSidecar, saveSidecar } from '../../../main/engine/curate/ann-index';
import { mulberry32 } from '../../../main/engine/curate/kmeans';
import { copyScan, dropQuantized, quantizedFile, type QuantizedMeta } from '../../../main/engine/curate/quantized-index';
import { thisMachine } from '../../../main/engine/curate/scan-cost';
import { forgetSavedStates, savedQuantized, searchVector } from '../../../main/engine/curate/search';
import { SEARCH_INDEX_JOB, searchIndexJob } from '../../../main/engine/curate/search-index-job';
import { indexFile } from '../../../main/engine/curate/semantic-job';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import type { EmbeddingSet } from '../../../main/engine/store/embeddings';
import { MatrixFile } from '../../../main/engine/store/matrix-file';
import { dropResident } from '../../../main/engine/store/resident-matrix';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { winnowRun } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';
import { bruteForceItems, plantedSearchProject } from '../../fixtures/search-truth';

const ROWS = 12_000;
const DIM = 128;
/** An ample budget for the copy's search (a 12k-row scan takes well under a millisecond; CI load stretches it, not 1,000-fold). */
const AMPLE_MS = '1000';
let dir: string;
let engine: Engine;
let project: Project;
let set: EmbeddingSet;
let call: Dispatch;
let rows: Float32Array[];

interface ApiResult { method: string; index: string; scanMs?: number; indexJobId?: number; hits: { itemId: number }[] }
const textSearch = () => call('search.text', { query: 'a photo of a red circle', k: 10 }) as Promise<ApiResult>;

function withBudget<T>(ms: string, f: () => Promise<T>): Promise<T> {
  process.env.WINNOW_EXACT_SCAN_MS = ms;
  return f().finally(() => delete process.env.WINNOW_EXACT_SCAN_MS);
}

/** Runs the job (started by a search, or here) to its end and returns its typed result. */
async function finished(id: number) {
  const job = await project.jobs.wait(id);
  expect(job).toMatchObject({ kind: SEARCH_INDEX_JOB, state: 'done' });
  return project.jobs.result(searchIndexJob(project, engine.active), id)!;
}

/** Item ids of the k rows with the largest float64 dot product with q. */
const bruteForce = (q: Float32Array, k: number) => bruteForceItems(project, set, rows, q, k);

function randomQueries(n: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: DIM }, () => rnd() - 0.5);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

/** Auto searches equal brute force, and report the graph as `state`. */
function expectExact(state: string): void {
  for (const q of randomQueries(8, 5)) {
    const res = searchVector(project, set, q, 10);
    expect(res).toMatchObject({ method: 'exact', index: state });
    expect(res.hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
  }
}

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  // The float32 matrix (6.1 MB) past the resident budget, its int8 copy (1.5 MB) within it: the 1M × 128 case in small.
  process.env.WINNOW_RESIDENT_MB = '4';
  dir = path.join(await tempDir(), 'project');
  ({ engine, project, set, rows, call } = await plantedSearchProject(dir, ROWS, DIM));
}, 120_000);

afterAll(async () => {
  await engine.close();
  delete process.env.WINNOW_HOME;
  delete process.env.WINNOW_RESIDENT_MB;
});

describe('the search.index job builds the graph only when the int8 copy is over budget', () => {
  it('within budget: the copy is built and timed, no graph; search says why and starts no job', async () => {
    await withBudget(AMPLE_MS, async () => {
      const first = await textSearch();
      expect(first).toMatchObject({ method: 'exact', index: 'missing' });
      expect(first.indexJobId).toBeTypeOf('number'); // the float32 scan is over the resident budget and no copy exists
      const result = await finished(first.indexJobId!);
      expect(result).toMatchObject({ rows: ROWS, built: false, quantizedBuilt: true, graph: 'not-needed' });
      expect(result.recall).toBeUndefined();
      expect(existsSync(indexFile(project, set))).toBe(false);
      const scan = copyScan(quantizedFile(project, set));
      expect(scan).toMatchObject({ machine: thisMachine(), k: expect.any(Number), probes: expect.any(Number) });
      if (scan === undefined || scan === 'none') throw new Error('no timing recorded');
      expect(scan.ms).toBe(result.scanMs);
      expect(scan.ms).toBeGreaterThan(0);
      expect(scan.ms).toBeLessThanOrEqual(Math.max(scan.wallMs, scan.cpuMs));
      const again = await textSearch();
      expect(again).toMatchObject({ method: 'exact', index: 'not-needed', scanMs: scan.ms });
      expect(again.indexJobId).toBeUndefined();
      expectExact('not-needed');
    });
  });

  it('the state survives a reopen with every cache dropped', async () => {
    const jobs = project.jobs.list().length;
    await engine.close();
    // `winnow search` in a fresh process says why there is no approximate index, in its plain output and in --json.
    const env = { WINNOW_EXACT_SCAN_MS: AMPLE_MS };
    const plain = await winnowRun(['search', 'a photo of a red circle', '--k', '3', '--project', dir], env);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^\(exact; \d+\.\d ms per search on this machine, no approximate index needed\)$/m);
    const json = await winnowRun(['search', 'a photo of a red circle', '--k', '3', '--json', '--project', dir], env);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ method: 'exact', index: 'not-needed', scanMs: expect.any(Number) });
    forgetSavedStates();
    dropQuantized();
    dropResident();
    engine = new Engine('cli');
    project = await engine.openProject(dir, { resume: false });
    set = project.embeddings.getSet(DEFAULT_MODEL)!;
    call = createDispatch(engine);
    await withBudget(AMPLE_MS, async () => {
      const res = await textSearch();
      expect(res).toMatchObject({ method: 'exact', index: 'not-needed', scanMs: expect.any(Number) });
      expect(res.indexJobId).toBeUndefined();
      expect(project.jobs.list()).toHaveLength(jobs);
      expectExact('not-needed');
    });
  });

  it('a timing from another machine does not count: the job times the copy again, without rebuilding it', async () => {
    const qfile = quantizedFile(project, set);
    const meta = readSidecar<QuantizedMeta>(qfile)!;
    saveSidecar(qfile, { ...meta, scan: { ...meta.scan!, machine: 'another machine × 64' } });
    await withBudget(AMPLE_MS, async () => {
      const res = await textSearch();
      expect(res).toMatchObject({ method: 'exact', index: 'missing' });
      expect(res.scanMs).toBeUndefined();
      const result = await finished(res.indexJobId!);
      expect(result).toMatchObject({ built: false, quantizedBuilt: false, graph: 'not-needed' });
      expect(copyScan(qfile)).toMatchObject({ machine: thisMachine() });
      expect((await textSearch()).index).toBe('not-needed');
    });
  });

  it('over budget the job builds the graph; rows appended make the copy stale and it is built and timed again', async () => {
    const scan = copyScan(quantizedFile(project, set));
    if (scan === undefined || scan === 'none') throw new Error('no timing recorded');
    // A budget below the copy's timing: the copy no longer answers in time, so a slow search starts the job, which builds the graph.
    await withBudget(String(scan.ms / 2), async () => {
      const res = await textSearch();
      expect(res).toMatchObject({ method: 'exact', index: 'missing' });
      const result = await finished(res.indexJobId!);
      expect(result).toMatchObject({ built: true, quantizedBuilt: false, graph: 'built', scanMs: scan.ms, recall: expect.any(Number) });
      expect(existsSync(indexFile(project, set))).toBe(true);
      expect((await textSearch()).index).toBe('current');
    });
    // Within budget again (the job run by hand): a current graph stays (semantic dedup reuses it), and the exact scan answers.
    await withBudget(AMPLE_MS, async () => {
      const result = await finished(project.jobs.start(SEARCH_INDEX_JOB, { model: set.model }).id);
      expect(result).toMatchObject({ built: false, quantizedBuilt: false, graph: 'not-needed' });
      expect(existsSync(indexFile(project, set))).toBe(true);
      expectExact('current');
    });
    // The project grows: the copy and the graph are stale. Within budget the job builds and times a new copy, and the stale graph goes.
    const v1 = appendRow(Float32Array.from({ length: DIM }, (_, j) => Math.cos(j * 0.37)));
    expect(savedQuantized(project, set, ROWS + 1).state).toBe('stale');
    await withBudget(AMPLE_MS, async () => {
      const res = await textSearch();
      expect(res).toMatchObject({ method: 'exact', index: 'stale' });
      const result = await finished(res.indexJobId!);
      expect(result).toMatchObject({ rows: ROWS + 1, built: false, quantizedBuilt: true, graph: 'not-needed' });
      expect(existsSync(indexFile(project, set))).toBe(false);
      expectExact('not-needed');
    });
    // It grows again, and the new copy is timed over a (lowered) budget: the graph is built then.
    const v2 = appendRow(Float32Array.from({ length: DIM }, (_, j) => Math.sin(j * 0.91 + 1)));
    await withBudget('0', async () => {
      const res = await textSearch();
      expect(res).toMatchObject({ method: 'exact', index: 'missing' });
      const result = await finished(res.indexJobId!);
      expect(result).toMatchObject({ rows: ROWS + 2, built: true, quantizedBuilt: true, graph: 'built' });
      expect(copyScan(quantizedFile(project, set))).toMatchObject({ machine: thisMachine() });
      expect(existsSync(indexFile(project, set))).toBe(true);
    });
    for (const v of [v1, v2]) {
      const top = searchVector(project, set, v.vector, 10, undefined, 'exact');
      expect(top.hits.map((h) => h.itemId)).toEqual(bruteForce(v.vector, 10));
      expect(top.hits[0].itemId).toBe(v.id);
    }
  });
});

/** Appends an embedded item whose image row is the next one, with `direction` normalized (what an embed run does for one item). */
function appendRow(direction: Float32Array): { id: number; vector: Float32Array } {
  const vector = direction.map((x) => x / Math.hypot(...direction));
  const row = rows.length;
  const m = new MatrixFile(project.embeddings.matrixPath(set, 'image'), DIM);
  m.write(row, vector);
  m.close();
  const source = project.db.prepare('SELECT id FROM sources LIMIT 1').pluck().get() as number;
  const id = Number(project.db.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (?, ?, ?, 'jpeg', 8, 8, 1, ?)`)
    .run(source, `added-${row}`, `/x/added-${row}.jpg`, `added${row}`).lastInsertRowid);
  project.embeddings.addItem(set, id, row, null);
  rows.push(vector);
  return { id, vector };
}
