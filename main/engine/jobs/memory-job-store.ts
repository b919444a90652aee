import type { JobRow, JobState } from '../store/jobs';
import type { JobRecords } from './job-records';

/**
 * Job records for jobs that belong to no project (model pulls): kept in memory for this session. A pull
 * needs no durable checkpoint: it resumes from its `.part` files when started again.
 */
export class MemoryJobStore implements JobRecords {
  private readonly rows = new Map<number, JobRow>();
  private nextId = 1;

  /** @param keepFinished finished jobs kept for the UI to show their outcome (the most recent ones). */
  constructor(private readonly keepFinished = 20) {}

  create(kind: string, title: string, paramsJson: string): JobRow {
    this.forgetOldFinished();
    const now = new Date().toISOString();
    const row: JobRow = {
      id: this.nextId++, kind, title, params: paramsJson, state: 'queued', done: 0, total: null, checkpoint: null, error: null,
      result: null, created_at: now, updated_at: now, finished_at: null, owner: null,
    };
    this.rows.set(row.id, row);
    return { ...row };
  }

  get(id: number): JobRow | undefined {
    const row = this.rows.get(id);
    return row && { ...row };
  }

  list(limit = 200): JobRow[] {
    return [...this.rows.values()].sort((a, b) => b.id - a.id).slice(0, limit).map((r) => ({ ...r }));
  }

  findUnfinished(kind: string, paramsJson: string): JobRow | undefined {
    return this.list().find((r) => r.kind === kind && r.params === paramsJson && r.state !== 'done');
  }

  setState(id: number, state: JobState, error: string | null = null): void {
    const finished = state === 'done' || state === 'failed' || state === 'cancelled';
    this.update(id, { state, error, finished_at: finished ? new Date().toISOString() : null });
  }

  setTotal(id: number, total: number | null): void {
    this.update(id, { total });
  }

  checkpoint(id: number, done: number, checkpoint: unknown): void {
    this.update(id, { done, checkpoint: JSON.stringify(checkpoint) });
  }

  setDone(id: number, done: number): void {
    this.update(id, { done });
  }

  setResult(id: number, resultJson: string): void {
    this.update(id, { result: resultJson });
  }

  setOwner(id: number, owner: string): void {
    this.update(id, { owner });
  }

  /** Nothing outlives the process, so nothing is left behind to recover. */
  markInterrupted(): number[] {
    return [];
  }

  transaction<T>(writes: () => T): T {
    return writes();
  }

  private update(id: number, change: Partial<JobRow>): void {
    const row = this.rows.get(id);
    if (row) Object.assign(row, change, { updated_at: new Date().toISOString() });
  }

  private forgetOldFinished(): void {
    const finished = [...this.rows.values()].filter((r) => r.finished_at !== null).sort((a, b) => b.id - a.id);
    for (const row of finished.slice(this.keepFinished)) this.rows.delete(row.id);
  }
}
