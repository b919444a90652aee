import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { buildApp } from '../../scripts/build-app';
import { ROOT } from '../fixtures/cli';
import { makeImageFolder, tempDir } from '../fixtures/images';

// The desktop app's engine runs in an Electron utilityProcess; this drives the same bundle in plain Node,
// so the bundled engine (SQLite, sharp, onnxruntime, worker pool, model path) is tested without an Electron binary.
let home: string;
beforeAll(async () => {
  await buildApp();
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  const data = await tempDir();
  await makeImageFolder(data, { count: 12, width: 70, height: 50 });
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(home, 'p'));
  await project.jobs.wait((await engine.addSource(data)).jobId);
  await engine.close();
}, 180_000);

describe('bundled ML host', () => {
  it('answers contract calls, serves thumbnails, pushes job events and embeds with the worker pool', () => {
    const calls = [
      { type: 'call', id: 1, method: 'app.info', input: {} },
      { type: 'media', id: 2, kind: 'thumb', itemId: 1 },
      { type: 'call', id: 3, method: 'items.page', input: { offset: -5, limit: 1 } },
      { type: 'call', id: 4, method: 'vision.status', input: {} },
      { type: 'call', id: 5, method: 'embed.start', input: {} },
    ];
    const res = spawnSync(process.execPath, [path.join(ROOT, 'test/fixtures/ml-host-driver.cjs'), JSON.stringify(calls), path.join(ROOT, 'dist/main/app/ml-host.cjs'), '--project', path.join(home, 'p')], {
      encoding: 'utf8', env: { ...process.env, WINNOW_HOME: home, WAIT_FOR_JOB: '1' }, timeout: 120_000,
    });
    const messages = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const reply = (id: number) => messages.find((m) => m.id === id);
    expect(messages.filter((m) => m.type === 'ready')).toHaveLength(1);
    expect(reply(1).result).toMatchObject({ mode: 'electron', project: { itemCount: 12 } });
    expect(reply(2)).toMatchObject({ contentType: 'image/webp', body: { length: expect.any(Number) } });
    expect(reply(3).error).toMatchObject({ code: 'bad_input' });
    expect(reply(4).result).toMatchObject({ model: 'winnow-clip-mini', provider: 'cpu' });
    expect(reply(5).result.jobId).toBeGreaterThan(0);
    const done = messages.find((m) => m.type === 'event' && m.event === 'job.progress' && m.payload.state === 'done');
    expect(done.payload).toMatchObject({ kind: 'embed', done: 12, total: 12 });
  });

  it('left the embeddings the bundled host computed (with its bundled preprocessing workers) in the project', async () => {
    const engine = new Engine('cli');
    const project = await engine.openProject(path.join(home, 'p'), { resume: false });
    expect(project.jobs.list().find((j) => j.kind === 'embed')?.state).toBe('done');
    expect(project.embeddings.listSets()[0]).toMatchObject({ images: 12, texts: 12 });
    await engine.close();
  });

  it('on shutdown closes the engine and exits 0, leaving no job marked running (no crash recovery at the next start)', async () => {
    const dir = path.join(home, 'quit');
    const data = await tempDir();
    await makeImageFolder(data, { count: 240, width: 70, height: 50 });
    const setup = new Engine('cli');
    const project = await setup.createProject(dir);
    await project.jobs.wait((await setup.addSource(data)).jobId);
    await setup.close();
    const calls = [{ type: 'call', id: 1, method: 'embed.start', input: {} }];
    const res = spawnSync(process.execPath, [path.join(ROOT, 'test/fixtures/ml-host-driver.cjs'), JSON.stringify(calls), path.join(ROOT, 'dist/main/app/ml-host.cjs'), '--project', dir], {
      encoding: 'utf8', env: { ...process.env, WINNOW_HOME: home, SHUTDOWN_MID_JOB: '1', WAIT_FOR_JOB: '1' }, timeout: 60_000,
    });
    expect(res.status).toBe(0);
    const messages = res.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(messages.some((m) => m.event === 'job.progress' && m.payload.state === 'done')).toBe(false);
    // Read the row as the host left it: opening through the engine would itself turn a leftover 'running' into 'interrupted'.
    const db = new Database(path.join(dir, 'project.sqlite'), { readonly: true });
    const embed = db.prepare("SELECT state, done FROM jobs WHERE kind = 'embed'").get() as { state: string; done: number };
    db.close();
    // Closed by the engine (checkpoint kept, resumable), not left 'running' for crash recovery, and not run to the end.
    expect(embed.state).toBe('interrupted');
    expect(embed.done).toBeLessThan(240);
  });

  it('reports why it cannot start (fatal, then exit 1) instead of claiming to be ready', () => {
    const res = spawnSync(process.execPath, [path.join(ROOT, 'test/fixtures/ml-host-driver.cjs'), '[]', path.join(ROOT, 'dist/main/app/ml-host.cjs'), '--project', path.join(home, 'no-such-project')], {
      encoding: 'utf8', env: { ...process.env, WINNOW_HOME: home }, timeout: 60_000,
    });
    const messages = res.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(messages.some((m) => m.type === 'ready')).toBe(false);
    expect(messages.find((m) => m.type === 'fatal')?.message).toMatch(/cannot open/);
    expect(res.status).toBe(1);
  });
});
