// A project's job kinds are registered by name and their modules imported when the project is opened to run jobs
// (JobRunner.registerLazy, Engine.openProject): a job left in the queue by a dead process must still be recovered
// and run by a fresh `winnow` process, and a read-only open that skipped the import must refuse jobs, not fail them.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { DB_FILE } from '../../main/engine/project';
import { winnowSync } from '../fixtures/cli';
import { tempDir } from '../fixtures/images';

let home: string;
let dir: string;

beforeAll(async () => {
  home = await tempDir();
  dir = path.join(await tempDir(), 'project');
  expect(winnowSync(['init', dir], { WINNOW_HOME: home }).code).toBe(0);
});

afterAll(() => {
  delete process.env.WINNOW_HOME;
});

const jobRow = (id: number) => {
  const db = new Database(path.join(dir, DB_FILE), { readonly: true });
  try {
    return db.prepare('SELECT kind, state, error FROM jobs WHERE id = ?').get(id) as { kind: string; state: string; error: string | null };
  } finally {
    db.close();
  }
};

describe('job kinds loaded on open', () => {
  it('a fresh `winnow resume` recovers a job a dead process left running and runs it to the end', () => {
    const db = new Database(path.join(dir, DB_FILE));
    const id = Number(db.prepare(`INSERT INTO jobs (kind, title, params, state, owner) VALUES ('curate.stats', 'left running', '{}', 'running', 'pid 2147483646 on a-dead-host')`).run().lastInsertRowid);
    db.close();
    const r = winnowSync(['resume', '--project', dir, '--json'], { WINNOW_HOME: home });
    expect(r.code, r.stderr).toBe(0);
    expect(jobRow(id)).toEqual({ kind: 'curate.stats', state: 'done', error: null });
  }, 60_000);

  it('read-only without the job kinds: starting a job is refused like any job a reader may not start, and the kinds load when asked', async () => {
    process.env.WINNOW_HOME = home;
    const engine = new Engine('cli');
    try {
      const reader = await engine.openProject(dir, { access: 'read-only', resume: false, jobs: false });
      expect(() => reader.jobs.start('curate.stats', {})).toThrow(/read-only|owned/);
      await reader.jobs.load();
      // Loaded, a reader still may not start one: the refusal above was the reader's, not a missing kind.
      expect(() => reader.jobs.start('curate.stats', {})).toThrow(/read-only|owned/);
    } finally {
      await engine.close();
    }
  });
});
