import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { MatrixFile } from '../../main/engine/store/matrix-file';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { captionHash } from '../../main/engine/vision/embed-job';
import { makeImageFolder, tempDir } from '../fixtures/images';
import { winnowSpawn, winnowSync } from '../fixtures/cli';

describe('embedding job', () => {
  it('embeds every image and distinct caption into the matrices, identical to embedding them directly', async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    await makeImageFolder(data, { count: 40, width: 80, height: 60 });
    // Two items share a caption (the text is embedded once); one file only looks like an image.
    writeFileSync(path.join(data, 'nested', 'img00004.txt'), 'a test image number 3');
    const whole = (await import('node:fs')).readFileSync(path.join(data, 'img00002.jpg'));
    writeFileSync(path.join(data, 'truncated.jpg'), whole.subarray(0, whole.length >> 1));
    const engine = new Engine('cli');
    const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    const job = await project.jobs.wait(engine.embed());
    expect(job).toMatchObject({ state: 'done', done: 41, total: 41 });
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    expect(project.embeddings.listSets()[0]).toMatchObject({ images: 40, texts: 39 });
    const truncated = project.items.page(0, 100).find((i) => i.key === 'truncated.jpg')!;
    expect(project.issues.forItem(truncated.id).map((i) => i.kind)).toContain('decode_failed');
    expect(project.embeddings.rowsOf(set, truncated.id)).toBeUndefined();

    const { model } = await engine.active.get();
    const images = project.embeddings.matrix(set, 'image');
    const texts = project.embeddings.matrix(set, 'text');
    const sample = project.items.page(0, 100).filter((i) => i.key !== 'truncated.jpg').slice(0, 5);
    const direct = await (await import('../../main/engine/vision/embed-files')).embedImageFiles(model, sample.map((i) => i.uri)).next();
    for (const [k, item] of sample.entries()) {
      const rows = project.embeddings.rowsOf(set, item.id)!;
      const stored = images.read(rows.imageRow);
      const expected = direct.value!.embeddings.subarray(k * model.dim, (k + 1) * model.dim);
      expect(Math.max(...stored.map((v, j) => Math.abs(v - expected[j])))).toBeLessThan(1e-5);
      expect(rows.textRow).toBe(project.embeddings.textRow(set, captionHash(item.caption!)));
      const text = texts.read(rows.textRow!);
      const expectedText = await model.embedTexts([item.caption!]);
      expect(Math.max(...text.map((v, j) => Math.abs(v - expectedText[j])))).toBeLessThan(1e-5);
      expect(Math.hypot(...stored)).toBeCloseTo(1, 4);
    }
    images.close();
    texts.close();
    // Running again embeds nothing twice.
    await project.jobs.wait(project.jobs.start('embed', { model: DEFAULT_MODEL }).id);
    expect(project.embeddings.listSets()[0]).toMatchObject({ images: 40, texts: 39 });
    await engine.close();
  });

  it('resumes after kill -9 without losing or repeating a row', async () => {
    const home = await tempDir();
    const data = await tempDir();
    await makeImageFolder(data, { count: 900, width: 64, height: 64 });
    const proj = path.join(home, 'proj');
    const env = { WINNOW_HOME: home };
    expect(winnowSync(['init', proj], env).code).toBe(0);
    expect(winnowSync(['import', data, '--project', proj], env).code).toBe(0);

    const child = winnowSpawn(['embed', '--project', proj], env);
    const db = new Database(path.join(proj, 'project.sqlite'), { readonly: true });
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const row = db.prepare(`SELECT done FROM jobs WHERE kind = 'embed'`).get() as { done: number } | undefined;
      if ((row?.done ?? 0) >= 96) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const at = db.prepare(`SELECT done, state FROM jobs WHERE kind = 'embed'`).get() as { done: number; state: string };
    expect(at.state).toBe('running');
    expect(at.done).toBeGreaterThan(0);
    expect(at.done).toBeLessThan(900);
    db.close();

    const again = winnowSync(['embed', '--project', proj, '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).job).toMatchObject({ state: 'done', done: 900, total: 900 });
    const check = new Database(path.join(proj, 'project.sqlite'), { readonly: true });
    const rows = check.prepare('SELECT count(*) n, count(DISTINCT item_id) items, count(DISTINCT image_row) r, max(image_row) m FROM embedding_rows').get();
    expect(rows).toEqual({ n: 900, items: 900, r: 900, m: 899 });
    expect((check.prepare(`SELECT count(*) n FROM jobs WHERE kind = 'embed'`).get() as { n: number }).n).toBe(1);
    check.close();
    const matrix = new MatrixFile(path.join(proj, 'embeddings', DEFAULT_MODEL, 'image.f32'), 128);
    expect(matrix.rows).toBe(900);
    matrix.close();
  });
});
