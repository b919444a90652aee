import type { JobRow, JobState } from '../store/jobs';

/**
 * Where a runner keeps its jobs. A project's jobs live in its SQLite database (store/jobs.ts, durable,
 * committed with each batch's writes); the app's own jobs (model pulls) in memory (memory-job-store.ts).
 */
export interface JobRecords {
  create(kind: string, title: string, paramsJson: string): JobRow;
  get(id: number): JobRow | undefined;
  list(limit?: number): JobRow[];
  /** The newest job of this kind with exactly these canonical params that is not done. */
  findUnfinished(kind: string, paramsJson: string): JobRow | undefined;
  setState(id: number, state: JobState, error?: string | null): void;
  setTotal(id: number, total: number | null): void;
  checkpoint(id: number, done: number, checkpoint: unknown): void;
  /** Progress without a resume point (a finished job's final count). */
  setDone(id: number, done: number): void;
  /** Stores a finished job's result (canonical JSON). */
  setResult(id: number, resultJson: string): void;
  /** Records which process runs a job: recovery later resumes only jobs whose owner is gone. */
  setOwner(id: number, owner: string): void;
  /** Jobs processes other than `liveOwner` left running or queued become 'interrupted'; returns them, oldest first. */
  markInterrupted(liveOwner: string): number[];
  /** Runs `writes` and the checkpoint together: both land or neither does. */
  transaction<T>(writes: () => T): T;
}
