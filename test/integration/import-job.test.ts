import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { makeImageFolder, tempDir } from '../fixtures/images';
import { winnowSpawn, winnowSync } from '../fixtures/cli';

describe('import job', () => {
  it('imports a folder with broken files: good files become items, every broken one becomes an issue', async () => {
    const home = await tempDir();
    process.env.WINNOW_HOME = home;
    const data = await tempDir();
    const truth = await makeImageFolder(data, { count: 20, dirty: true });
    const engine = new Engine('cli');
    const project = await engine.createProject(path.join(home, 'p'));
    const progress: number[] = [];
    engine.events.on('job.progress', (j) => j.kind === 'import' && progress.push(j.done));
    const { source, jobId } = await engine.addSource(data);
    const job = await project.jobs.wait(jobId);
    expect(job.state).toBe('done');
    expect(job.done).toBe(job.total);
    expect(progress.at(-1)).toBe(job.total);
    expect(project.items.count()).toBe(truth.good.length);
    const items = project.items.page(0, 1000);
    for (const [rel, caption] of truth.captions) expect(items.find((i) => i.key === rel)?.caption).toBe(caption);
    const issues = project.issues.list(0, 100);
    const byLocation = new Map(issues.map((i) => [i.location, i]));
    expect(byLocation.get(truth.broken.corrupt)).toMatchObject({ kind: 'unreadable', severity: 'error', sourceId: source.id });
    expect(byLocation.get(truth.broken.empty)).toMatchObject({ kind: 'empty_file' });
    expect(byLocation.get(truth.broken.huge)).toMatchObject({ kind: 'too_large' });
    expect(byLocation.get(truth.wrongExtension)).toMatchObject({ kind: 'extension_mismatch', severity: 'warning' });

    // Importing the same source again adds nothing twice.
    const again = await engine.addSource(data);
    expect((await project.jobs.wait(again.jobId)).state).toBe('done');
    expect(project.items.count()).toBe(truth.good.length);

    // Thumbnails are made on first request and cached in the project.
    const thumb = await engine.getMedia('thumb', items[0].id);
    expect(thumb.contentType).toBe('image/webp');
    expect(thumb.body.subarray(8, 12).toString('ascii')).toBe('WEBP');
    await engine.close();
  });

  it('resumes after the process is killed mid-import: nothing lost, nothing twice', async () => {
    const home = await tempDir();
    const data = await tempDir();
    const truth = await makeImageFolder(data, { count: 2500, width: 16, height: 16 });
    const proj = path.join(home, 'proj');
    const env = { WINNOW_HOME: home };
    expect(winnowSync(['init', proj], env).code).toBe(0);

    const child = winnowSpawn(['import', data, '--project', proj], env);
    const db = new Database(path.join(proj, 'project.sqlite'), { readonly: true, fileMustExist: true });
    const deadline = Date.now() + 60_000;
    let done = 0;
    while (Date.now() < deadline) {
      const row = db.prepare(`SELECT done FROM jobs WHERE kind = 'import'`).get() as { done: number } | undefined;
      done = row?.done ?? 0;
      if (done >= 512) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const killedAt = (db.prepare('SELECT done, state FROM jobs').get() as { done: number; state: string });
    expect(killedAt.state).toBe('running');
    expect(killedAt.done).toBeGreaterThan(0);
    expect(killedAt.done).toBeLessThan(truth.good.length);
    expect((db.prepare('SELECT count(*) n FROM items').get() as { n: number }).n).toBe(killedAt.done);
    db.close();

    const resumed = winnowSync(['resume', '--project', proj, '--json'], env);
    expect(resumed.code).toBe(0);
    const result = JSON.parse(resumed.stdout) as { jobs: { state: string; done: number; total: number }[] };
    expect(result.jobs[0]).toMatchObject({ state: 'done', done: truth.good.length, total: truth.good.length });
    const check = new Database(path.join(proj, 'project.sqlite'), { readonly: true });
    expect((check.prepare('SELECT count(*) n, count(DISTINCT key) k FROM items').get() as { n: number; k: number })).toEqual({ n: truth.good.length, k: truth.good.length });
    check.close();
  });
});
