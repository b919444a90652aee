import type { JobRecords } from '../jobs/job-records';
import type { Db } from './database';

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface JobRow {
  id: number; kind: string; title: string; params: string; state: JobState; done: number; total: number | null;
  checkpoint: string | null; error: string | null; result: string | null; created_at: string; updated_at: string; finished_at: string | null;
  /** The process that last ran the job (ownerId of main/engine/ownership), null for jobs older than ownership. */
  owner: string | null;
}

const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;

/** Durable job records: what ran, how far it got, the checkpoint to resume from and what it produced. */
export class JobStore implements JobRecords {
  constructor(private readonly db: Db) {}

  create(kind: string, title: string, paramsJson: string): JobRow {
    const id = Number(this.db.prepare(`INSERT INTO jobs (kind, title, params, state) VALUES (?, ?, ?, 'queued')`).run(kind, title, paramsJson).lastInsertRowid);
    return this.get(id)!;
  }

  get(id: number): JobRow | undefined {
    return this.db.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
  }

  list(limit = 200): JobRow[] {
    return this.db.prepare('SELECT * FROM jobs ORDER BY id DESC LIMIT ?').all(limit) as JobRow[];
  }

  findUnfinished(kind: string, paramsJson: string): JobRow | undefined {
    return this.db.prepare(`SELECT * FROM jobs WHERE kind = ? AND params = ? AND state != 'done' ORDER BY id DESC LIMIT 1`).get(kind, paramsJson) as JobRow | undefined;
  }

  setState(id: number, state: JobState, error: string | null = null): void {
    const finished = state === 'done' || state === 'failed' || state === 'cancelled';
    this.db.prepare(`UPDATE jobs SET state = ?, error = ?, updated_at = ${NOW}, finished_at = ${finished ? NOW : 'NULL'} WHERE id = ?`).run(state, error, id);
  }

  setTotal(id: number, total: number | null): void {
    this.db.prepare(`UPDATE jobs SET total = ?, updated_at = ${NOW} WHERE id = ?`).run(total, id);
  }

  /** Records progress and the resume point; called inside the same transaction as the batch's writes. */
  checkpoint(id: number, done: number, checkpoint: unknown): void {
    this.db.prepare(`UPDATE jobs SET done = ?, checkpoint = ?, updated_at = ${NOW} WHERE id = ?`).run(done, JSON.stringify(checkpoint), id);
  }

  setDone(id: number, done: number): void {
    this.db.prepare(`UPDATE jobs SET done = ?, updated_at = ${NOW} WHERE id = ?`).run(done, id);
  }

  setResult(id: number, resultJson: string): void {
    this.db.prepare(`UPDATE jobs SET result = ?, updated_at = ${NOW} WHERE id = ?`).run(resultJson, id);
  }

  /** Records which process runs a job: recovery later resumes only jobs whose owner is gone. */
  setOwner(id: number, owner: string): void {
    this.db.prepare('UPDATE jobs SET owner = ? WHERE id = ?').run(owner, id);
  }

  /**
   * Jobs that processes other than `liveOwner` left running or queued (they died or closed): all become
   * 'interrupted', oldest first, to resume from their checkpoints. Called only by the project's owner, right
   * after it took the project, so every other process's jobs are a dead process's jobs.
   */
  markInterrupted(liveOwner: string): number[] {
    this.db.prepare(`UPDATE jobs SET state = 'interrupted', updated_at = ${NOW} WHERE state IN ('running', 'queued') AND (owner IS NULL OR owner <> ?)`).run(liveOwner);
    return (this.db.prepare(`SELECT id FROM jobs WHERE state = 'interrupted' ORDER BY id`).all() as { id: number }[]).map((r) => r.id);
  }

  transaction<T>(writes: () => T): T {
    return this.db.transaction(writes)();
  }
}
