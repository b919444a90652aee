// Exact search on a project whose resident matrix has its int8 copy: searchVector's hits against a float64
// brute force of the planted rows the project was built from, before the copy exists (float32 scan) and after
// (int8-guided), and that the int8 copy really answered. Also after rows are appended: a new matrix version
// gets a new copy, and the appended rows are found.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../main/engine/curate/kmeans';
import { quantizedScans, whenQuantized } from '../../../main/engine/curate/quantized-scan';
import { searchVector } from '../../../main/engine/curate/search';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import type { EmbeddingSet } from '../../../main/engine/store/embeddings';
import { MatrixFile } from '../../../main/engine/store/matrix-file';
import { residentRows } from '../../../main/engine/store/resident-matrix';
import { plantedFor, syntheticProject } from '../../../bench/lib/synthetic-project';
import { tempDir } from '../../fixtures/images';
import { bruteForceItems } from '../../fixtures/search-truth';

const ROWS = 24_000;
const DIM = 64; // 1.5M values: over the size that gets an int8 copy
const MODEL = 'quantized-test-64';
let engine: Engine;
let project: Project;
let set: EmbeddingSet;
let rows: Float32Array[];

const bruteForce = (q: Float32Array, k: number) => bruteForceItems(project, set, rows, q, k);

function queries(n: number, seed: number): Float32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const v = i % 2 === 0 ? rows[Math.floor(rnd() * rows.length)].map((x) => x + (rnd() - 0.5) * 0.1) : Float32Array.from({ length: DIM }, () => rnd() - 0.5);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

const resident = () => residentRows(project.embeddings.matrixPath(set, 'image'), DIM, rows.length)!;

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  engine = new Engine('cli');
  project = await syntheticProject(engine, path.join(await tempDir(), 'project'), ROWS, DIM, MODEL);
  set = project.embeddings.getSet(MODEL)!;
  const planted = plantedFor(ROWS, DIM);
  rows = Array.from({ length: ROWS }, (_, r) => planted.row(r));
}, 120_000);

afterAll(async () => {
  await engine.close();
  delete process.env.WINNOW_HOME;
});

describe('exact search through the int8 copy', () => {
  it('hits equal float64 brute force before the copy is made and after, and the copy answers', async () => {
    const qs = queries(16, 1);
    searchVector(project, set, qs[0], 10, undefined, 'exact'); // first use: streamed
    const before = { ...quantizedScans };
    for (const q of qs.slice(0, 4)) expect(searchVector(project, set, q, 10, undefined, 'exact').hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
    expect(quantizedScans).toEqual(before); // resident, float32: the copy is still being made
    expect(await whenQuantized(resident(), DIM)).not.toBeNull();
    for (const q of qs) expect(searchVector(project, set, q, 10, undefined, 'exact').hits.map((h) => h.itemId)).toEqual(bruteForce(q, 10));
    expect(quantizedScans.bounded + quantizedScans.full - before.bounded - before.full).toBe(qs.length);
    expect(quantizedScans.bounded - before.bounded).toBeGreaterThanOrEqual(qs.length - 2);
  });

  it('rows appended by an embed run: the new matrix version gets its own copy and its rows are found', async () => {
    const old = resident();
    const oldCopy = await whenQuantized(old, DIM);
    const added = queries(40, 9).map((v, i) => (i % 2 === 0 ? v : rows[i * 101]));
    const m = new MatrixFile(project.embeddings.matrixPath(set, 'image'), DIM);
    const source = project.db.prepare('SELECT id FROM sources LIMIT 1').pluck().get() as number;
    added.forEach((v, i) => {
      const row = ROWS + i;
      m.write(row, v);
      const id = Number(project.db.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (?, ?, ?, 'jpeg', 8, 8, 1, ?)`)
        .run(source, `added-${row}`, `/x/${row}.jpg`, `added-${row}`).lastInsertRowid);
      project.embeddings.addItem(set, id, row, null);
      rows[row] = v;
    });
    m.close();
    searchVector(project, set, added[0], 10, undefined, 'exact'); // the grown file: first use streams
    searchVector(project, set, added[0], 10, undefined, 'exact'); // second: resident, copy started
    const grown = resident();
    expect(grown).not.toBe(old);
    const copy = await whenQuantized(grown, DIM);
    expect(copy).not.toBe(oldCopy);
    expect(copy!.rows).toBe(ROWS + added.length);
    const bounded = quantizedScans.bounded;
    for (const q of [added[0], added[2], ...queries(6, 4)]) {
      const hits = searchVector(project, set, q, 10, undefined, 'exact').hits.map((h) => h.itemId);
      expect(hits).toEqual(bruteForce(q, 10));
    }
    expect(quantizedScans.bounded).toBeGreaterThan(bounded);
  });
});
