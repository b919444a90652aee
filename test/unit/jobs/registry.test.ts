// The one job registry over a real SQLite project database (and the in-memory store model pulls use):
// identical jobs, params/checkpoint validation, resume from a checkpoint, typed results, cancel, failure.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { JobT } from '../../../main/domain/job';
import { defineJob } from '../../../main/engine/jobs/define-job';
import { MemoryJobStore } from '../../../main/engine/jobs/memory-job-store';
import { JobRunner } from '../../../main/engine/jobs/runner';
import { type Db, openDatabase } from '../../../main/engine/store/database';
import { IssueStore } from '../../../main/engine/store/issues';
import { JobStore } from '../../../main/engine/store/jobs';
import { tempDir } from '../../fixtures/images';

/** `hold` pauses every batch until it resolves; `before(next)` runs before each batch. */
interface Gate { hold?: Promise<void>; before?: (next: number) => void }

/** Writes `count` numbered rows into a table, `batch` per commit; the checkpoint is the next number. */
function countingJob(db: Db, gate: Gate = {}) {
  return defineJob({
    kind: 'test.count',
    params: z.object({ table: z.string().regex(/^[a-z]+$/), count: z.number().int().positive(), batch: z.number().int().positive().default(2) }),
    checkpoint: z.object({ next: z.number().int() }),
    result: z.object({ written: z.number().int(), table: z.string() }),
    title: (p) => `Count ${p.count} into ${p.table}`,
    async run(ctx) {
      const { table, count, batch } = ctx.params;
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (n INTEGER PRIMARY KEY)`);
      ctx.setTotal(count);
      const insert = db.prepare(`INSERT INTO ${table} (n) VALUES (?)`);
      for (let next = ctx.checkpoint?.next ?? 0; next < count;) {
        await gate.hold;
        gate.before?.(next);
        const end = Math.min(count, next + batch);
        const from = next;
        ctx.commit(() => { for (let n = from; n < end; n++) insert.run(n); }, end, { next: end });
        next = end;
      }
      return { written: count, table };
    },
  });
}

const failing = defineJob({
  kind: 'test.fail',
  params: z.object({ why: z.string() }),
  checkpoint: z.null(),
  result: z.null(),
  title: (p) => `Fail: ${p.why}`,
  async run(ctx) {
    throw new Error(ctx.params.why);
  },
});

let db: Db | null = null;
afterEach(() => {
  db?.close();
  db = null;
});

async function setup(gate: Gate = {}) {
  db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
  const events: JobT[] = [];
  const issues = new IssueStore(db);
  const runner = new JobRunner({ store: new JobStore(db), issues, emit: (job) => events.push(job), owner: 'test' });
  const counting = countingJob(db, gate);
  runner.register(counting);
  runner.register(failing);
  return { db, runner, counting, events, issues };
}

const rows = (db: Db, table: string) => db.prepare(`SELECT n FROM ${table} ORDER BY n`).pluck().all() as number[];

describe('job registry', () => {
  it('recognises an identical job by kind + canonical params, not by title or key order', async () => {
    let release!: () => void;
    const gate: Gate = { hold: new Promise<void>((r) => { release = r; }) };
    const { db, runner } = await setup(gate);
    const first = runner.start('test.count', { table: 'a', count: 4, batch: 2 });
    expect(runner.start('test.count', { batch: 2, count: 4, table: 'a' }).id).toBe(first.id);
    // Defaults are part of the parsed params: omitting batch=2 is the same job.
    expect(runner.start('test.count', { table: 'a', count: 4 }).id).toBe(first.id);
    const other = runner.start('test.count', { table: 'b', count: 4 });
    expect(other.id).not.toBe(first.id);
    release();
    gate.hold = undefined;
    await runner.idle();
    expect(rows(db, 'a')).toEqual([0, 1, 2, 3]);
    // A finished job is not reused: starting it again is a new run.
    const again = runner.start('test.count', { table: 'c', count: 1 });
    await runner.wait(again.id);
    expect(runner.start('test.count', { table: 'c', count: 1 }).id).not.toBe(again.id);
    await runner.idle();
  });

  it('validates params when a job starts, with the field and the reason', async () => {
    const { runner } = await setup();
    expect(() => runner.start('test.count', { table: 'A;DROP', count: 3 })).toThrow(/table/);
    expect(() => runner.start('test.count', { table: 'a', count: -1 })).toThrow(/count/);
    expect(() => runner.start('test.nope', {})).toThrow(/unknown job kind/);
    expect(runner.list()).toHaveLength(0);
  });

  it('resumes a cancelled job from its checkpoint when the identical job is started: nothing done twice or lost', async () => {
    const gate: Gate = {};
    const { db, runner, events } = await setup(gate);
    // Cancelled after its first committed batch (3 rows), before the second is written.
    gate.before = (next) => { if (next === 3) runner.cancel(job.id); };
    const job = runner.start('test.count', { table: 'r', count: 10, batch: 3 });
    const cancelled = await runner.wait(job.id);
    expect(cancelled.state).toBe('cancelled');
    const stoppedAt = rows(db, 'r').length;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(10);
    gate.before = undefined;
    events.length = 0;
    const resumed = runner.start('test.count', { table: 'r', count: 10, batch: 3 });
    expect(resumed.id).toBe(job.id);
    const done = await runner.wait(job.id);
    expect(done.state).toBe('done');
    expect(rows(db, 'r')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Progress of the resumed run starts at the checkpoint, not at zero.
    expect(Math.min(...events.filter((e) => e.state === 'running').map((e) => e.done))).toBe(stoppedAt);
  });

  it('stores the result and returns it typed by the kind', async () => {
    const { db, runner, counting } = await setup();
    const job = runner.start('test.count', { table: 't', count: 3 });
    const { job: finished, result } = await runner.waitResult(counting, job.id);
    expect(finished.state).toBe('done');
    expect(result).toEqual({ written: 3, table: 't' });
    // Typed: a field access that would not compile if the result were unknown.
    expect(result?.written).toBe(3);
    expect(JSON.parse(db.prepare('SELECT result FROM jobs WHERE id = ?').pluck().get(job.id) as string)).toEqual({ table: 't', written: 3 });
    expect(runner.result(counting, job.id)).toEqual({ written: 3, table: 't' });
  });

  it('a failed job keeps its reason and records an issue', async () => {
    const { runner, issues } = await setup();
    const job = await runner.wait(runner.start('test.fail', { why: 'disk on fire' }).id);
    expect(job).toMatchObject({ state: 'failed', error: 'disk on fire' });
    expect(issues.list(0, 100).map((i) => i.message)).toContain('Fail: disk on fire: disk on fire');
  });

  it('a stored job whose params or checkpoint no longer fit fails with a clear reason on resume, not a crash', async () => {
    const { db, runner } = await setup();
    const store = new JobStore(db);
    const badParams = store.create('test.count', 'old', JSON.stringify({ table: 'x', count: 'many' }));
    store.setState(badParams.id, 'interrupted');
    const badCheckpoint = store.create('test.count', 'old', JSON.stringify({ table: 'y', count: 3, batch: 1 }));
    store.checkpoint(badCheckpoint.id, 1, { position: 'somewhere' });
    store.setState(badCheckpoint.id, 'interrupted');
    runner.resume(badParams.id);
    runner.resume(badCheckpoint.id);
    await runner.idle();
    expect(runner.get(badParams.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/invalid params \(count:/) });
    expect(runner.get(badCheckpoint.id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/invalid stored checkpoint \(next:/) });
  });

  it('cancels a queued job before it runs', async () => {
    let release!: () => void;
    const gate: Gate = { hold: new Promise<void>((r) => { release = r; }) };
    const { db, runner } = await setup(gate);
    const running = runner.start('test.count', { table: 'q', count: 2 });
    const queued = runner.start('test.count', { table: 'w', count: 2 });
    expect(runner.cancel(queued.id).state).toBe('cancelled');
    release();
    await runner.idle();
    expect(runner.get(running.id).state).toBe('done');
    expect(runner.get(queued.id).state).toBe('cancelled');
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'w'`).get()).toBeUndefined();
  });

  it('the in-memory store (app-level jobs) runs the same kinds side by side, with the same identity rule', async () => {
    db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    let release!: () => void;
    const gate: Gate = { hold: new Promise<void>((r) => { release = r; }) };
    const counting = countingJob(db, gate);
    const runner = new JobRunner({ store: new MemoryJobStore(), emit: () => undefined, concurrency: Infinity, owner: 'test' });
    runner.register(counting);
    const a = runner.start('test.count', { table: 'ma', count: 2 });
    const b = runner.start('test.count', { table: 'mb', count: 2 });
    expect([runner.get(a.id).state, runner.get(b.id).state]).toEqual(['running', 'running']);
    expect(runner.start('test.count', { count: 2, table: 'ma' }).id).toBe(a.id);
    expect(runner.unfinished(counting).map((u) => u.params.table).sort()).toEqual(['ma', 'mb']);
    release();
    expect((await runner.waitResult(counting, b.id)).result).toEqual({ written: 2, table: 'mb' });
    await runner.idle();
  });
});

describe('job kinds registered by name (JobRunner.registerLazy)', () => {
  async function lazySetup(owner: string | null) {
    db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const store = new JobStore(db);
    const runner = new JobRunner({ store, emit: () => undefined, owner, readOnlyReason: () => 'owned by another process' });
    const counting = countingJob(db);
    let loads = 0;
    runner.registerLazy('test.count', async () => {
      loads++;
      return counting;
    });
    return { db, store, runner, loads: () => loads };
  }

  it('imports nothing until load(); a job left in the queue by another process then resumes and finishes from its checkpoint', async () => {
    const { db, store, runner, loads } = await lazySetup('test');
    const left = store.create('test.count', 'left by a dead process', JSON.stringify({ table: 'lz', count: 5, batch: 2 }));
    store.checkpoint(left.id, 2, { next: 2 });
    store.setState(left.id, 'interrupted');
    expect(loads()).toBe(0);
    // Before load() the kind can be neither started nor resumed, and the stored job is left as it was (not failed).
    expect(() => runner.resume(left.id)).toThrow(/not loaded/);
    expect(() => runner.start('test.count', { table: 'lz', count: 5 })).toThrow(/not loaded/);
    expect(runner.get(left.id).state).toBe('interrupted');
    await Promise.all([runner.load(), runner.load()]);
    expect(loads()).toBe(1);
    runner.resume(left.id);
    await runner.idle();
    expect(runner.get(left.id)).toMatchObject({ state: 'done', done: 5 });
    // Rows 0 and 1 were the dead process's: the resumed run wrote from its checkpoint on.
    expect(db.prepare('SELECT n FROM lz ORDER BY n').pluck().all()).toEqual([2, 3, 4]);
  });

  it('a read-only runner without the kind loaded refuses as it refuses any job it may not start', async () => {
    const { runner } = await lazySetup(null);
    expect(() => runner.start('test.count', { table: 'ro', count: 1 })).toThrow('owned by another process');
  });

  it('a loader that yields another kind fails load() naming both, rather than leaving the kind unrunnable', async () => {
    db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const runner = new JobRunner({ store: new JobStore(db), emit: () => undefined, owner: 'test' });
    runner.registerLazy('test.other', async () => failing);
    await expect(runner.load()).rejects.toThrow('job kind test.other: its loader gave kind test.fail');
  });
});
