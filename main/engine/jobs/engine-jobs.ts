import type { JobT } from '../../../main/domain/job';
import { ApiError } from '../../../main/domain/errors';
import type { EngineEvents } from '../events';
import type { JobContext, JobKind } from './runner';
import { RateMeter } from './rate';

interface Running {
  job: JobT;
  kind: JobKind<any, any>;
  params: unknown;
  controller: AbortController | null;
  meter: RateMeter | null;
  lastEmit: number;
  result?: unknown;
  finished: Promise<void>;
}

/**
 * Jobs that belong to the app rather than to a project (model downloads): the same JobKind and
 * progress shape as a project's JobRunner, kept in memory and reported on the `models.job` event.
 * They need no durable checkpoint: a pull resumes from its `.part` files when started again.
 * Jobs run concurrently; the kind decides whether repeated starts share one run (see `key`).
 */
export class EngineJobs {
  private readonly kinds = new Map<string, JobKind<any, any>>();
  private readonly jobs = new Map<number, Running>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly events: EngineEvents) {}

  register(kind: JobKind<any, any>): void {
    this.kinds.set(kind.kind, kind);
  }

  /** Starts a job; an unfinished job of the same kind and title is returned instead of a second one. */
  start<P>(kind: string, params: P): JobT {
    if (this.closed) throw new ApiError('conflict', 'the engine is shutting down');
    const def = this.kinds.get(kind);
    if (!def) throw new ApiError('bad_input', `unknown job kind ${kind}`);
    const title = def.title(params);
    const same = [...this.jobs.values()].find((r) => r.job.kind === kind && r.job.title === title && (r.job.state === 'running' || r.job.state === 'queued'));
    if (same) return same.job;
    this.forgetOldFinished();
    const now = new Date().toISOString();
    const job: JobT = { id: this.nextId++, kind, title, state: 'running', done: 0, total: null, ratePerSec: null, etaSec: null, error: null, createdAt: now, updatedAt: now, finishedAt: null };
    const entry: Running = { job, kind: def, params, controller: new AbortController(), meter: new RateMeter(0), lastEmit: 0, finished: Promise.resolve() };
    this.jobs.set(job.id, entry);
    entry.finished = this.run(entry);
    return { ...job };
  }

  get(id: number): JobT {
    const entry = this.jobs.get(id);
    if (!entry) throw new ApiError('not_found', `no job ${id}`);
    return this.snapshot(entry);
  }

  /** Newest first. */
  list(): JobT[] {
    return [...this.jobs.values()].map((entry) => this.snapshot(entry)).sort((a, b) => b.id - a.id);
  }

  cancel(id: number): JobT {
    const entry = this.jobs.get(id);
    if (!entry) throw new ApiError('not_found', `no job ${id}`);
    entry.controller?.abort();
    return this.snapshot(entry);
  }

  /** Waits for a job to finish; returns its final state and what its kind's run() returned. */
  async wait<R = unknown>(id: number): Promise<{ job: JobT; result: R | undefined }> {
    const entry = this.jobs.get(id);
    if (!entry) throw new ApiError('not_found', `no job ${id}`);
    await entry.finished;
    return { job: this.snapshot(entry), result: entry.result as R | undefined };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.jobs.values()) entry.controller?.abort();
    await Promise.all([...this.jobs.values()].map((entry) => entry.finished));
  }

  private async run(entry: Running): Promise<void> {
    await Promise.resolve();
    const { job } = entry;
    const signal = entry.controller!.signal;
    const ctx: JobContext<unknown, unknown> = {
      jobId: job.id,
      params: entry.params,
      checkpoint: null,
      signal,
      setTotal: (total) => {
        job.total = total;
        this.emit(entry, true);
      },
      commit: (writes, done) => {
        signal.throwIfAborted();
        const result = writes();
        job.done = done;
        entry.meter?.update(done);
        this.emit(entry, false);
        return result;
      },
      issue: (issue) => {
        job.error = issue.message;
      },
    };
    this.emit(entry, true);
    try {
      entry.result = (await entry.kind.run(ctx)) as unknown;
      signal.throwIfAborted();
      job.state = 'done';
      job.error = null;
    } catch (err) {
      if (signal.aborted) {
        job.state = this.closed ? 'interrupted' : 'cancelled';
      } else {
        job.state = 'failed';
        job.error = err instanceof Error ? err.message : String(err);
      }
    } finally {
      job.finishedAt = new Date().toISOString();
      this.emit(entry, true);
      entry.controller = null;
      entry.meter = null;
    }
  }

  /** Finished jobs are kept for the UI to show their outcome; only the most recent few. */
  private forgetOldFinished(keep = 20): void {
    const finished = [...this.jobs.values()].filter((entry) => entry.job.finishedAt !== null).sort((x, y) => y.job.id - x.job.id);
    for (const entry of finished.slice(keep)) this.jobs.delete(entry.job.id);
  }

  private snapshot(entry: Running): JobT {
    const { job, meter } = entry;
    return { ...job, ratePerSec: meter?.perSecond ?? null, etaSec: meter?.eta(job.done, job.total) ?? null };
  }

  private emit(entry: Running, force: boolean): void {
    const now = performance.now();
    if (!force && now - entry.lastEmit < 100) return;
    entry.lastEmit = now;
    entry.job.updatedAt = new Date().toISOString();
    this.events.emit('models.job', this.snapshot(entry));
  }
}
