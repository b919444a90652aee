// The adaptation job end to end at scale: a project of N items whose embeddings are planted unit
// vectors (no images to decode), zero-shot labelled by the built-in model's text classifier, 500 of
// them reviewed; times the label job and the adapt job (fit + apply + writing the labels).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADAPT_JOB } from '../../main/engine/adapt/adapt-job';
import { adaptReports } from '../../main/engine/adapt/reports';
import { resolveAdaptParams } from '../../main/engine/adapt/adapt-params';
import { LABEL_JOB } from '../../main/engine/curate/label-job';
import { DEFAULT_TEMPLATES } from '../../main/engine/curate/zero-shot';
import { Engine } from '../../main/engine/engine';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { PlantedVectors } from '../../test/fixtures/planted-vectors';
import { classNames } from './data';

export async function jobScale(rows: number, reviews = 500): Promise<void> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'winnow-adapt-scale-'));
  process.env.WINNOW_HOME = home;
  const engine = new Engine('cli');
  try {
    const project = await engine.createProject(path.join(home, 'p'));
    const dim = (await engine.active.get(DEFAULT_MODEL)).model.dim;
    const db = project.db;
    const source = Number(db.prepare(`INSERT INTO sources (kind, path, root, name) VALUES ('folder', '/planted', '/planted', 'planted')`).run().lastInsertRowid);
    const set = project.embeddings.ensureSet(DEFAULT_MODEL, dim, null);
    const planted = new PlantedVectors({ rows, dim, clusters: 64, dupRate: 0, seed: 3 });
    const matrix = project.embeddings.matrix(set, 'image');
    const insertItem = db.prepare('INSERT INTO items (source_id, key, uri) VALUES (?, ?, ?)');
    for (let first = 0; first < rows; first += 4096) {
      const count = Math.min(4096, rows - first);
      matrix.write(first, planted.read(first, count));
      db.transaction(() => {
        for (let r = first; r < first + count; r++) {
          const id = Number(insertItem.run(source, `i${r}`, `/planted/i${r}.jpg`).lastInsertRowid);
          project.embeddings.addItem(set, id, r, null);
        }
      })();
    }
    matrix.close();
    const classes = classNames().map((name) => ({ name }));
    let t = performance.now();
    const label = project.jobs.start(LABEL_JOB, { model: DEFAULT_MODEL, classes, templates: [...DEFAULT_TEMPLATES], k: 3, threshold: 0.3, multiLabel: false });
    await project.jobs.wait(label.id);
    const labelSec = (performance.now() - t) / 1000;
    // Reviews: the top proposal of every (rows / reviews)-th item is accepted.
    const step = Math.floor(rows / reviews);
    db.prepare(`UPDATE annotations SET state = 'accepted' WHERE kind = 'label' AND json_extract(params, '$.rank') = 1 AND (item_id % ?) = 0`).run(step);
    t = performance.now();
    const job = project.jobs.start(ADAPT_JOB, resolveAdaptParams(db, {}));
    const done = await project.jobs.wait(job.id);
    const adaptSec = (performance.now() - t) / 1000;
    const report = adaptReports(project).at(-1);
    console.log(`\n### adapt job at scale: ${rows.toLocaleString('en')} items (${dim}-d planted embeddings), 64 classes, k = 3`);
    console.log(`zero-shot label job ${labelSec.toFixed(1)} s; adapt job (${done.state}) ${adaptSec.toFixed(1)} s: ${report?.trainingSize} reviews → ${report?.chosen.method}, ${report?.applied.toLocaleString('en')} items relabelled`);
  } finally {
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  }
}
