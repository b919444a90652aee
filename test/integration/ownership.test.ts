// Two processes on one project are the normal case: the app open while a script runs `winnow embed`, two
// commands at once, `winnow status` during a job, an owner killed with -9. Each scenario runs real processes on
// a real project and checks the outcome from the database and the matrix files: every item embedded exactly
// once, no job run twice, nothing lost.
import { cpSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../main/api/client';
import { Engine } from '../../main/engine/engine';
import { startServer } from '../../main/server/server';
import { openForUi } from '../../main/cli/browser-mode';
import { makeImageFolder, tempDir } from '../fixtures/images';
import { winnowSpawn, winnowSync } from '../fixtures/cli';

const ITEMS = 900;
let home: string;
let template: string;
// The embeds here must run long enough to be watched: with the model-input cache off they decode every image
// (with it, the import's input pass leaves 900 tiny inputs that the embed reads in well under a second).
const env = () => ({ WINNOW_HOME: home, WINNOW_INPUT_CACHE: '0' });
const children: ChildProcess[] = [];
const engines: Engine[] = [];

beforeAll(async () => {
  home = await tempDir();
  const data = await tempDir();
  await makeImageFolder(data, { count: ITEMS, width: 24, height: 24 });
  template = path.join(home, 'template');
  expect(winnowSync(['init', template], env()).code).toBe(0);
  const imported = winnowSync(['import', data, '--project', template], env());
  expect(imported.stderr).not.toContain('attached');
  expect(imported.code).toBe(0);
}, 180_000);

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const e of engines.splice(0)) await e.close();
});

let copies = 0;
function freshProject(): string {
  const dir = path.join(home, `p${++copies}`);
  cpSync(template, dir, { recursive: true });
  return dir;
}

function spawnCli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = winnowSpawn(args, env());
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

function readDb<T>(dir: string, read: (db: Database.Database) => T): T {
  const db = new Database(path.join(dir, 'project.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

interface JobRow { id: number; kind: string; state: string; done: number; total: number | null; owner: string | null }
const jobs = (dir: string) => readDb(dir, (db) => db.prepare('SELECT id, kind, state, done, total, owner FROM jobs ORDER BY id').all() as JobRow[]);

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = probe();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const embedRunning = (dir: string) => until('the embed job to be running with progress', () => jobs(dir).find((j) => j.kind === 'embed' && j.state === 'running' && j.done > 0));

/** Every item has exactly one image row, rows are contiguous, and the matrix files hold no row that belongs to no item. */
function expectEmbeddedExactlyOnce(dir: string): void {
  readDb(dir, (db) => {
    const items = db.prepare('SELECT count(*) FROM items').pluck().get() as number;
    const set = db.prepare('SELECT id, dim, model FROM embedding_sets').get() as { id: number; dim: number; model: string };
    const rows = db.prepare('SELECT count(*) n, count(DISTINCT item_id) items, min(image_row) lo, max(image_row) hi FROM embedding_rows WHERE set_id = ?').get(set.id) as { n: number; items: number; lo: number; hi: number };
    expect(rows).toEqual({ n: items, items, lo: 0, hi: items - 1 });
    const texts = db.prepare('SELECT count(*) n, max(row) hi FROM text_embeddings WHERE set_id = ?').get(set.id) as { n: number; hi: number };
    const captions = db.prepare('SELECT count(DISTINCT text) FROM captions WHERE is_primary = 1').pluck().get() as number;
    expect(texts).toEqual({ n: captions, hi: captions - 1 });
    const folder = path.join(dir, 'embeddings', db.prepare('SELECT model FROM embedding_sets').pluck().get() as string);
    expect(statSync(path.join(folder, 'image.f32')).size).toBe(items * set.dim * 4);
    expect(statSync(path.join(folder, 'text.f32')).size).toBe(captions * set.dim * 4);
  });
}

describe('one owner per project', () => {
  it('CLI embed, then the app opens the project: the app reads it, never resumes the CLI job, and every item is embedded once', async () => {
    const dir = freshProject();
    const cli = spawnCli(['embed', '--project', dir]);
    await embedRunning(dir);

    const app = new Engine('browser');
    engines.push(app);
    await openForUi(app, dir);
    const client = localClient(app);
    const info = (await client.call('app.info', {})).project!;
    expect(info.access).toBe('read-only');
    expect(info.owner).toMatchObject({ pid: cli.child.pid, command: 'winnow embed' });
    // The app neither flipped the CLI's job to interrupted nor started its own.
    expect(jobs(dir).filter((j) => j.kind === 'embed').map((j) => j.state)).toEqual(['running']);
    // Asking for the running embed names that job; anything that would write is refused with the owner's name.
    expect((await client.call('embed.start', {})).jobId).toBe(jobs(dir).find((j) => j.kind === 'embed')!.id);
    await expect(client.call('curate.runStats', {})).rejects.toThrow(/read-only: it is owned by pid \d+ .*winnow embed/);
    await expect(client.call('selection.save', { name: 'mine', rules: [] })).rejects.toThrow(/read-only: it is owned by pid \d+ .*winnow embed/);

    const result = await cli.done;
    expect(result.stderr).not.toMatch(/UNIQUE constraint|database is locked/);
    expect(result.code).toBe(0);
    expect(jobs(dir).filter((j) => j.kind === 'embed')).toMatchObject([{ state: 'done', done: ITEMS, total: ITEMS }]);
    expectEmbeddedExactlyOnce(dir);

    // Once the CLI is done the app takes the project over by itself, and can write.
    const changed = new Promise((resolve) => app.events.on('project.changed', (p) => p?.access === 'owner' && resolve(p)));
    await changed;
    expect((await client.call('app.info', {})).project).toMatchObject({ access: 'owner', owner: null });
    expect((await client.call('selection.save', { name: 'mine', rules: [] })).name).toBe('mine');
  });

  it('the app owns the project, then `winnow embed` runs through the app\'s API with the same progress and result', async () => {
    const dir = freshProject();
    const app = new Engine('browser');
    engines.push(app);
    await openForUi(app, dir);
    const server = await startServer({ engine: app, staticDir: path.join(home, 'no-renderer') });
    app.publishApi(`http://127.0.0.1:${server.port}`, server.token);
    try {
      const cli = await spawnCli(['embed', '--project', dir]).done;
      expect(cli.stderr).toMatch(new RegExp(`attached to pid ${process.pid} `));
      expect(cli.stderr).toMatch(/Embed with .*100%/);
      expect(cli.code).toBe(0);
      expect(cli.stdout).toContain(`${ITEMS} images`);
      // The job ran in the app's engine, as the app's job.
      expect(app.requireProject().jobs.list().filter((j) => j.kind === 'embed')).toMatchObject([{ state: 'done', done: ITEMS }]);
      expectEmbeddedExactlyOnce(dir);
    } finally {
      await server.close();
    }
  });

  it('two `winnow embed` at once: one owns, the other attaches to the same job; one job, every item once', async () => {
    const dir = freshProject();
    const a = spawnCli(['embed', '--project', dir]);
    const b = spawnCli(['embed', '--project', dir]);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    for (const r of [ra, rb]) {
      if (r.code !== 0) console.log(r.stdout, r.stderr);
      expect(r.stderr).not.toMatch(/database is locked|UNIQUE constraint/);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${ITEMS} images`);
    }
    expect([ra.stderr, rb.stderr].filter((e) => e.includes('attached to'))).toHaveLength(1);
    expect(jobs(dir).filter((j) => j.kind === 'embed')).toMatchObject([{ state: 'done', done: ITEMS }]);
    expectEmbeddedExactlyOnce(dir);
  });

  it('`winnow status` during an embed only reads: the job stays running and finishes', async () => {
    const dir = freshProject();
    const cli = spawnCli(['embed', '--project', dir]);
    const running = await embedRunning(dir);
    const before = readDb(dir, (db) => db.prepare('SELECT * FROM jobs').all());

    const status = winnowSync(['status', '--project', dir], env());
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`open in pid ${cli.child.pid} `);
    expect(status.stdout).toMatch(new RegExp(`job #${running.id} Embed with .*: running`));
    const after = jobs(dir).find((j) => j.id === running.id)!;
    expect(after.state).toBe('running');
    expect(readDb(dir, (db) => db.prepare('SELECT count(*) FROM jobs').pluck().get())).toBe(before.length);

    expect((await cli.done).code).toBe(0);
    expect(jobs(dir).filter((j) => j.kind === 'embed')).toMatchObject([{ state: 'done', done: ITEMS }]);
    expectEmbeddedExactlyOnce(dir);
  });

  it('two exports to one destination at once: both go through the owner, the running export owns its destination, the first is complete, nothing fails with ENOENT', async () => {
    const dir = freshProject();
    const out = path.join(home, `export-${copies}`);
    const args = ['export', '--format', 'manifest', '--out', out, '--project', dir];
    const [r1, r2] = await Promise.all([spawnCli(args).done, spawnCli(args).done]);
    const all = `${r1.stderr}${r2.stderr}${r1.stdout}${r2.stdout}`;
    expect(all).not.toMatch(/ENOENT|database is locked/);
    const codes = [r1.code, r2.code].sort();
    if (codes[0] !== 0) console.log(all);
    expect(codes[0]).toBe(0);
    // The later one is refused while the first export owns the destination, or finds it taken once it is done, and says why.
    if (codes[1] !== 0) expect(all).toMatch(/another export .* is writing to|exists|not empty|overwrite/i);
    const exports = jobs(dir).filter((j) => j.kind === 'export');
    expect(exports.filter((j) => j.state === 'done').length).toBeGreaterThanOrEqual(1);
    const { readFileSync, readdirSync } = await import('node:fs');
    const manifest = readdirSync(out).find((f) => f.endsWith('.jsonl'))!;
    expect(readFileSync(path.join(out, manifest), 'utf8').trim().split('\n')).toHaveLength(ITEMS);
  });

  it('the owner is killed with -9: status says it is gone, the next command takes over and resumes the same job from its checkpoint', async () => {
    const dir = freshProject();
    const cli = spawnCli(['embed', '--project', dir]);
    const running = await embedRunning(dir);
    cli.child.kill('SIGKILL');
    await cli.done;
    const killed = jobs(dir).find((j) => j.id === running.id)!;
    expect(killed.state).toBe('running');
    expect(killed.done).toBeLessThan(ITEMS);

    const status = winnowSync(['status', '--project', dir], env());
    expect(status.stdout).toContain('not open in any other process');
    expect(status.stdout).toContain('its process is gone');

    const again = await spawnCli(['embed', '--project', dir]).done;
    expect(again.stderr).not.toContain('attached');
    expect(again.code).toBe(0);
    const embeds = jobs(dir).filter((j) => j.kind === 'embed');
    expect(embeds).toHaveLength(1);
    expect(embeds[0]).toMatchObject({ id: running.id, state: 'done', done: ITEMS });
    expect(embeds[0].owner).not.toBe(killed.owner);
    expect(readDb(dir, (db) => db.prepare('SELECT count(*) FROM owner').pluck().get())).toBe(0);
    expectEmbeddedExactlyOnce(dir);
  });

  it('Ctrl-C stops the owner cleanly: the job is interrupted, the project released, and `winnow resume` finishes it', async () => {
    const dir = freshProject();
    const cli = spawnCli(['embed', '--project', dir]);
    const running = await embedRunning(dir);
    cli.child.kill('SIGINT');
    const stopped = await cli.done;
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toContain('run `winnow resume` to continue');
    expect(stopped.stderr).not.toContain('winnow:');
    expect(jobs(dir).find((j) => j.id === running.id)!.state).toBe('interrupted');
    expect(readDb(dir, (db) => db.prepare('SELECT count(*) FROM owner').pluck().get())).toBe(0);
    const resumed = await spawnCli(['resume', '--project', dir]).done;
    expect(resumed.code).toBe(0);
    expect(jobs(dir).filter((j) => j.kind === 'embed')).toMatchObject([{ id: running.id, state: 'done', done: ITEMS }]);
    expectEmbeddedExactlyOnce(dir);
  });
});
