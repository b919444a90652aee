// A project with `rows` items and pre-made image embeddings (planted unit vectors, see
// test/fixtures/planted-vectors.ts) for one model, written straight into SQLite and the matrix file so a
// million-item project builds in seconds without images. Benchmarks only.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ANN_DEFAULTS, buildIndex, rowsDigest, saveIndex } from '../../main/engine/curate/ann-index';
import { imageRows, indexFile } from '../../main/engine/curate/semantic-job';
import type { Engine } from '../../main/engine/engine';
import type { Project } from '../../main/engine/project';
import { MatrixFile } from '../../main/engine/store/matrix-file';
import { PlantedVectors } from '../../test/fixtures/planted-vectors';

export const log = (s: string) => process.stderr.write(`${s}\n`);

export function plantedFor(rows: number, dim: number): PlantedVectors {
  return new PlantedVectors({ rows, dim, dupRate: 0.02, seed: 11 });
}

/** Creates (or reopens, when `dir` holds a finished one) the project; `withIndex` also saves the ANN index search uses. */
export async function syntheticProject(engine: Engine, dir: string, rows: number, dim: number, model: string, withIndex = false): Promise<Project> {
  const done = path.join(dir, '.bench-complete');
  if (existsSync(done)) return engine.openProject(dir, { resume: false });
  const project = await engine.createProject(dir);
  const db = project.db;
  const sourceId = Number(db.prepare('INSERT INTO sources (kind, path, root, name) VALUES (?, ?, ?, ?)').run('folder', dir, dir, 'synthetic').lastInsertRowid);
  const set = project.embeddings.ensureSet(model, dim, null);
  const planted = plantedFor(rows, dim);
  const matrix = new MatrixFile(project.embeddings.matrixPath(set, 'image'), dim);
  const item = db.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (?, ?, ?, 'jpeg', ?, ?, ?, ?)`);
  const caption = db.prepare(`INSERT INTO captions (item_id, origin, text, is_primary) VALUES (?, 'source', ?, 1)`);
  const embedded = db.prepare('INSERT INTO embedding_rows (set_id, item_id, image_row, text_row) VALUES (?, ?, ?, NULL)');
  const CHUNK = 20_000;
  for (let first = 0; first < rows; first += CHUNK) {
    const count = Math.min(CHUNK, rows - first);
    db.transaction(() => {
      for (let i = first; i < first + count; i++) {
        const key = `part-${String(Math.floor(i / 1000)).padStart(4, '0')}/img-${String(i).padStart(7, '0')}.jpg`;
        const id = Number(item.run(sourceId, key, path.join(dir, 'images', key), 24 + (i % 9) * 8, 24 + (i % 5) * 8, 900 + (i % 400), i.toString(16).padStart(64, '0')).lastInsertRowid);
        caption.run(id, `synthetic benchmark image number ${i} of class ${i % 37}`);
        embedded.run(set.id, id, i);
      }
    })();
    matrix.write(first, planted.read(first, count));
    if (first % 200_000 === 0) log(`  project ${first.toLocaleString('en')}/${rows.toLocaleString('en')}`);
  }
  matrix.close();
  if (withIndex) {
    const src = imageRows(project, set);
    const t0 = performance.now();
    const index = await buildIndex(src, {}, (n) => { if (n % 100_000 < 2048) log(`  index ${n.toLocaleString('en')}/${rows.toLocaleString('en')}`); });
    saveIndex(index, indexFile(project, set), { rows, dim, model, options: ANN_DEFAULTS, builtAt: new Date().toISOString(), digest: rowsDigest(src) });
    src.close();
    log(`  index built in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }
  writeFileSync(done, '');
  return project;
}
