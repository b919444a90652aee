// How `winnow search` opens its project: read-only while no live process owns it and its schema is current
// (no lock, no API, no job recovery: nothing written), else the owner path (which migrates an old schema).
// Hits are checked against a brute-force scan in this test over the planted vectors the project was built from.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { TOKEN_FILE } from '../../main/engine/ownership/project-lock';
import { DB_FILE } from '../../main/engine/project';
import { migrations } from '../../main/engine/store/migrations';
import { winnowRun } from '../fixtures/cli';
import { tempDir } from '../fixtures/images';
import { searchProject } from '../fixtures/search-project';
import { publishOwnerApi } from '../fixtures/owner-api';

const ROWS = 400;
const DIM = 128;
const QUERY = 'a photo of a red circle';
const LATEST = Math.max(...migrations.map((m) => m.version));
const V5 = path.resolve(import.meta.dirname, '../fixtures/upgrade/v5-project/project.sqlite');

let home: string;
let dir: string;
/** Item ids of the top 5 rows by a plain dot product of the query's text embedding with every planted row. */
let expected: number[];

const search = (project: string, k = 5) => winnowRun(['search', QUERY, '--k', String(k), '--json', '--project', project], { WINNOW_HOME: home });
const jobState = (id: number) => {
  const db = new Database(path.join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare('SELECT state FROM jobs WHERE id = ?').pluck().get(id);
  } finally {
    db.close();
  }
};

beforeAll(async () => {
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  dir = path.join(await tempDir(), 'project');
  expected = await searchProject(dir, ROWS, DIM, QUERY);
}, 120_000);

afterAll(() => {
  delete process.env.WINNOW_HOME;
});

describe('winnow search: how it opens the project', () => {
  it('reads a free, current project without taking it: a dead owner\'s running job stays as it was, no API token is written', async () => {
    const db = new Database(path.join(dir, DB_FILE));
    const job = Number(db.prepare(`INSERT INTO jobs (kind, title, params, state, owner) VALUES ('import', 'left running', '{}', 'running', 'pid 2147483646 on a-dead-host')`).run().lastInsertRowid);
    db.close();
    const r = await search(dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { method: string; hits: { itemId: number }[] };
    expect(out.hits.map((h) => h.itemId)).toEqual(expected);
    expect(r.stderr).not.toContain('attached to');
    // The owner path would have marked it interrupted (recoverInterrupted) and published its API token.
    expect(jobState(job)).toBe('running');
    expect(existsSync(path.join(dir, TOKEN_FILE))).toBe(false);
  }, 60_000);

  it('attaches to a live owner instead of reading beside it', async () => {
    const engine = new Engine('cli');
    await engine.openProject(dir, { resume: false });
    const stop = await publishOwnerApi(engine);
    try {
      const r = await search(dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`attached to pid ${process.pid}`);
      expect((JSON.parse(r.stdout) as { hits: { itemId: number }[] }).hits.map((h) => h.itemId)).toEqual(expected);
    } finally {
      await stop();
      await engine.close();
    }
  }, 60_000);

  it('opens a project whose schema needs migrating as its owner, which migrates it (read-only would refuse)', async () => {
    const old = path.join(await tempDir(), 'v5');
    mkdirSync(old);
    copyFileSync(V5, path.join(old, DB_FILE));
    const r = await search(old);
    expect(r.stderr).not.toContain('open it once with write access');
    const db = new Database(path.join(old, DB_FILE), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST);
    db.close();
  }, 60_000);
});
