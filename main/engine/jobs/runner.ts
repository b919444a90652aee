import type { JobWrites } from '../../../main/domain/events';
import type { JobT } from '../../../main/domain/job';
import { ApiError } from '../../../main/domain/errors';
import type { EngineEvents } from '../events';
import type { Db } from '../store/database';
import type { IssueStore, NewIssue } from '../store/issues';
import { type JobRow, JobStore } from '../store/jobs';
import { RateMeter } from './rate';

export interface JobContext<P, C> {
  readonly jobId: number;
  readonly params: P;
  /** Where the previous run stopped, or null on a first run. */
  readonly checkpoint: C | null;
  readonly signal: AbortSignal;
  setTotal(total: number | null): void;
  /** Applies a batch's writes and its progress + resume point atomically: a kill never loses or repeats a batch. */
  commit<T>(writes: () => T, done: number, checkpoint: C): T;
  issue(issue: NewIssue): void;
}

export interface JobKind<P = unknown, C = unknown> {
  kind: string;
  title(params: P): string;
  /** The data this kind writes; each batch commit (and the job's end) announces it as `<domain>.changed`. */
  writes?: readonly JobWrites[];
  run(ctx: JobContext<P, C>): Promise<void>;
}

/** A fast job commits many batches a second; front ends need to hear of its writes a few times a second. */
const CHANGE_INTERVAL_MS = 250;

class Cancelled extends Error {}

/** Runs a project's jobs one at a time, durably: every state change and checkpoint is in the database. */
export class JobRunner {
  private readonly store: JobStore;
  private readonly kinds = new Map<string, JobKind<any, any>>();
  private readonly queue: number[] = [];
  private readonly meters = new Map<number, RateMeter>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly lastEmit = new Map<number, number>();
  private readonly lastChange = new Map<number, number>();
  private running: Promise<void> | null = null;
  private closed = false;

  /**
   * `owner` is the id of the process that owns the project; null for a read-only project, whose runner
   * lists jobs but refuses to start, resume or cancel any (`readOnlyReason` says who owns them).
   */
  constructor(
    private readonly db: Db,
    private readonly issues: IssueStore,
    private readonly events: EngineEvents,
    private readonly owner: string | null,
    private readonly readOnlyReason: () => string = () => 'the project is open read-only',
  ) {
    this.store = new JobStore(db);
  }

  register(kind: JobKind<any, any>): void {
    this.kinds.set(kind.kind, kind);
  }

  start<P>(kind: string, params: P): JobT {
    this.requireOwner();
    const def = this.kinds.get(kind);
    if (!def) throw new ApiError('bad_input', `unknown job kind ${kind}`);
    const row = this.store.create(kind, def.title(params), params);
    this.enqueue(row.id);
    return this.toJob(this.store.get(row.id)!);
  }

  /** Marks jobs a dead process left running as interrupted; returns their ids. */
  recoverInterrupted(): number[] {
    return this.owner === null ? [] : this.store.markInterrupted(this.owner);
  }

  resume(id: number): JobT {
    this.requireOwner();
    const row = this.requireJob(id);
    if (row.state === 'done') throw new ApiError('conflict', `job ${id} is already done`);
    if (row.state === 'running' || this.queue.includes(id)) return this.toJob(row);
    this.store.setState(id, 'queued');
    this.enqueue(id);
    return this.get(id);
  }

  cancel(id: number): JobT {
    this.requireOwner();
    const row = this.requireJob(id);
    const queued = this.queue.indexOf(id);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.store.setState(id, 'cancelled');
    } else if (row.state === 'interrupted') {
      this.store.setState(id, 'cancelled');
    } else {
      this.controllers.get(id)?.abort();
    }
    const job = this.get(id);
    this.events.emit('job.progress', job);
    return job;
  }

  get(id: number): JobT {
    return this.toJob(this.requireJob(id));
  }

  list(): JobT[] {
    return this.store.list().map((r) => this.toJob(r));
  }

  /** Resolves when the queue is empty (used by the CLI and tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async wait(id: number): Promise<JobT> {
    await this.idle();
    return this.get(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const c of this.controllers.values()) c.abort();
    await this.idle();
  }

  private enqueue(id: number): void {
    this.queue.push(id);
    this.events.emit('job.progress', this.get(id));
    if (!this.running) this.running = this.drain().finally(() => { this.running = null; });
  }

  private async drain(): Promise<void> {
    for (let id = this.queue.shift(); id !== undefined && !this.closed; id = this.queue.shift()) {
      await this.runOne(id);
    }
  }

  private async runOne(id: number): Promise<void> {
    const row = this.requireJob(id);
    const def = this.kinds.get(row.kind);
    if (!def) {
      this.store.setState(id, 'failed', `unknown job kind ${row.kind}`);
      return;
    }
    const controller = new AbortController();
    this.controllers.set(id, controller);
    this.meters.set(id, new RateMeter(row.done));
    this.store.setState(id, 'running');
    this.store.setOwner(id, this.owner!);
    this.emitProgress(id, true);
    const ctx: JobContext<unknown, unknown> = {
      jobId: id,
      params: JSON.parse(row.params),
      checkpoint: row.checkpoint ? JSON.parse(row.checkpoint) : null,
      signal: controller.signal,
      setTotal: (total) => {
        this.store.setTotal(id, total);
        this.emitProgress(id, true);
      },
      commit: (writes, done, checkpoint) => {
        if (controller.signal.aborted) throw new Cancelled();
        const result = this.db.transaction(() => {
          const r = writes();
          this.store.checkpoint(id, done, checkpoint);
          return r;
        })();
        this.meters.get(id)?.update(done);
        this.emitProgress(id, false);
        this.emitChanges(id, def.writes, false);
        return result;
      },
      issue: (issue) => {
        this.issues.add({ jobId: id, ...issue });
      },
    };
    try {
      await def.run(ctx);
      if (controller.signal.aborted) throw new Cancelled();
      this.store.setState(id, 'done');
    } catch (err) {
      if (err instanceof Cancelled || controller.signal.aborted) {
        this.store.setState(id, this.closed ? 'interrupted' : 'cancelled');
      } else {
        const message = err instanceof Error ? err.message : String(err);
        this.store.setState(id, 'failed', message);
        this.issues.add({ kind: 'job_failed', message: `${row.title}: ${message}`, jobId: id });
      }
    } finally {
      this.controllers.delete(id);
      // Data first, then the final state: a front end that sees `done` can already read what the job wrote.
      this.emitChanges(id, def.writes, true);
      this.emitProgress(id, true);
      this.meters.delete(id);
      this.lastEmit.delete(id);
      this.lastChange.delete(id);
    }
  }

  private emitProgress(id: number, force: boolean): void {
    const now = performance.now();
    if (!force && now - (this.lastEmit.get(id) ?? 0) < 100) return;
    this.lastEmit.set(id, now);
    this.events.emit('job.progress', this.get(id));
  }

  private requireOwner(): void {
    if (this.owner === null) throw new ApiError('conflict', this.readOnlyReason());
    if (this.closed) throw new ApiError('conflict', 'the project is closing');
  }

  private emitChanges(jobId: number, writes: readonly JobWrites[] | undefined, force: boolean): void {
    if (!writes?.length) return;
    const now = performance.now();
    if (!force && now - (this.lastChange.get(jobId) ?? 0) < CHANGE_INTERVAL_MS) return;
    this.lastChange.set(jobId, now);
    for (const domain of writes) {
      if (domain === 'annotations') this.events.emit('annotations.changed', { jobId, itemIds: null });
      else this.events.emit(`${domain}.changed`, { jobId });
    }
  }

  private requireJob(id: number): JobRow {
    const row = this.store.get(id);
    if (!row) throw new ApiError('not_found', `no job ${id}`);
    return row;
  }

  private toJob(r: JobRow): JobT {
    const meter = this.meters.get(r.id);
    return {
      id: r.id, kind: r.kind, title: r.title, state: r.state, done: r.done, total: r.total,
      ratePerSec: meter?.perSecond ?? null, etaSec: meter?.eta(r.done, r.total) ?? null, error: r.error,
      createdAt: r.created_at, updatedAt: r.updated_at, finishedAt: r.finished_at,
    };
  }
}
