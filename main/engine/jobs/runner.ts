import type { JobT } from '../../domain/job';
import { ApiError } from '../../domain/errors';
import type { IssueStore } from '../store/issues';
import type { JobRow } from '../store/jobs';
import { type JobHost, JobInputError, type JobKind, type PreparedJob, type RegisteredJob } from './define-job';
import type { JobRecords } from './job-records';
import type { JobWrites } from '../../domain/events';
import { RateMeter } from './rate';

export interface JobRunnerOptions {
  store: JobRecords;
  /** Receives every state change and throttled progress (job.progress for a project, models.job for the app). */
  emit(job: JobT): void;
  /** Where jobs record bad input and failures; without one they go to stderr. */
  issues?: Pick<IssueStore, 'add'>;
  /** Jobs run at once: a project's jobs one at a time (they share the database), model pulls side by side. */
  concurrency?: number;
  /**
   * The id of the process that owns the jobs (recorded on each job it runs); null for a read-only project,
   * whose runner lists jobs but refuses to start, resume or cancel any (`readOnlyReason` says who owns them).
   */
  owner: string | null;
  /** Hears, a few times a second and once at the end, which data a job's commits changed (`<domain>.changed` events). */
  announce?: (domain: JobWrites, jobId: number) => void;
  readOnlyReason?: () => string;
}

/** A fast job commits many batches a second; front ends need to hear of its writes a few times a second. */
const CHANGE_INTERVAL_MS = 250;

class Cancelled extends Error {}

/** Stored JSON, or undefined (which no params schema accepts) when a row was damaged. */
function parseStored(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const PROGRESS_EVERY_MS = 100;

/**
 * The one job runner: every kind registered once (defineJob), params parsed on start and on resume,
 * identical jobs (same kind + canonical params) recognised, state and checkpoints kept in a JobRecords.
 */
export class JobRunner {
  private readonly store: JobRecords;
  private readonly kinds = new Map<string, RegisteredJob>();
  /** Kinds registered by name whose module `load()` has not imported yet. */
  private readonly unloaded = new Map<string, () => Promise<RegisteredJob>>();
  private loading: Promise<void> | null = null;
  private readonly queue: number[] = [];
  private readonly active = new Map<number, Promise<void>>();
  private readonly meters = new Map<number, RateMeter>();
  private readonly live = new Map<number, number>();
  private readonly controllers = new Map<number, AbortController>();
  private readonly lastEmit = new Map<number, number>();
  private readonly lastChange = new Map<number, number>();
  private readonly concurrency: number;
  private closed = false;

  constructor(private readonly options: JobRunnerOptions) {
    this.store = options.store;
    this.concurrency = options.concurrency ?? 1;
  }

  register(kind: RegisteredJob): void {
    this.kinds.set(kind.kind, kind);
  }

  /**
   * Registers a kind by name; its module is imported by `load()`, which must run before a job of the kind is
   * started or resumed. A process that only reads (`winnow search`) never loads them: the job modules and all
   * they import (~50 modules: detectors, export formats, the adapt trainer) cost a one-shot command ~40 ms of CPU.
   */
  registerLazy(kind: string, load: () => Promise<RegisteredJob>): void {
    this.unloaded.set(kind, load);
    this.loading = null;
  }

  /** Imports every kind registered with `registerLazy` (once; later calls wait for the same import). */
  load(): Promise<void> {
    this.loading ??= (async () => {
      for (const [name, load] of [...this.unloaded]) {
        const kind = await load();
        // The name is all that stands for the kind until it loads: a loader that yields another kind would leave jobs of this one unrunnable.
        if (kind.kind !== name) throw new Error(`job kind ${name}: its loader gave kind ${kind.kind}`);
        this.register(kind);
        this.unloaded.delete(name);
      }
    })();
    return this.loading;
  }

  /**
   * Starts a job. An identical job (same kind, same params once parsed) that is queued or running is
   * returned as it is; one left interrupted, cancelled or failed is resumed from its checkpoint.
   */
  start(kind: string, params: unknown): JobT {
    const prepared = this.prepare(kind, params);
    const same = this.store.findUnfinished(kind, prepared.key);
    // A running identical job is named even to a read-only process: it is the job the caller asked for.
    if (same && (same.state === 'running' || same.state === 'queued')) return this.toJob(same);
    this.requireOwner();
    if (same) return this.resume(same.id);
    const row = this.store.create(kind, prepared.title, prepared.key);
    this.enqueue(row.id);
    return this.get(row.id);
  }

  /** Marks jobs a dead process left running as interrupted; returns their ids. */
  recoverInterrupted(): number[] {
    return this.options.owner === null ? [] : this.store.markInterrupted(this.options.owner);
  }

  resume(id: number): JobT {
    this.requireOwner();
    const row = this.requireJob(id);
    this.requireLoaded(row.kind);
    if (row.state === 'done') throw new ApiError('conflict', `job ${id} is already done`);
    if (this.active.has(id) || this.queue.includes(id)) return this.toJob(row);
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
    this.options.emit(job);
    return job;
  }

  get(id: number): JobT {
    return this.toJob(this.requireJob(id));
  }

  list(): JobT[] {
    return this.store.list().map((r) => this.toJob(r));
  }

  /** A finished job's result, typed by its kind (null until the job is done). */
  result<P, C, R>(kind: JobKind<P, C, R>, id: number): R | null {
    const row = this.requireJob(id);
    if (row.kind !== kind.kind) throw new ApiError('bad_input', `job ${id} is a ${row.kind} job, not ${kind.kind}`);
    return row.state === 'done' && row.result !== null ? kind.parseResult(row.result) : null;
  }

  /** Waits for a job and returns its final record with its typed result. */
  async waitResult<P, C, R>(kind: JobKind<P, C, R>, id: number): Promise<{ job: JobT; result: R | null }> {
    const job = await this.wait(id);
    return { job, result: this.result(kind, id) };
  }

  /** A job's params parsed by its kind (null when the job is another kind's or its params no longer fit). */
  params<P, C, R>(kind: JobKind<P, C, R>, id: number): P | null {
    const row = this.requireJob(id);
    const parsed = row.kind === kind.kind ? kind.params.safeParse(parseStored(row.params)) : null;
    return parsed?.success ? parsed.data : null;
  }

  /** Queued or running jobs of a kind with their parsed params (e.g. "is model X being pulled?"). */
  unfinished<P, C, R>(kind: JobKind<P, C, R>): { job: JobT; params: P }[] {
    return this.store.list()
      .filter((r) => r.kind === kind.kind && (r.state === 'queued' || r.state === 'running'))
      .flatMap((r) => {
        const parsed = kind.params.safeParse(parseStored(r.params));
        return parsed.success ? [{ job: this.toJob(r), params: parsed.data }] : [];
      });
  }

  /** Resolves when nothing is queued or running (used by the CLI and tests). */
  async idle(): Promise<void> {
    while (this.active.size) await Promise.all(this.active.values());
  }

  async wait(id: number): Promise<JobT> {
    while ((this.active.has(id) || this.queue.includes(id)) && this.active.size) await Promise.race(this.active.values());
    return this.get(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    for (const c of this.controllers.values()) c.abort();
    await this.idle();
  }

  /**
   * A kind registered by name but not loaded can be neither prepared nor run (a failed run would mark a good job
   * failed): a read-only runner answers as for any job it may not start, an owner's caller forgot `load()`.
   */
  private requireLoaded(kind: string): void {
    if (!this.unloaded.has(kind)) return;
    this.requireOwner();
    throw new Error(`job kind ${kind} is not loaded: await the runner's load() before starting or resuming its jobs`);
  }

  private prepare(kind: string, params: unknown): PreparedJob {
    this.requireLoaded(kind);
    const def = this.kinds.get(kind);
    if (!def) throw new ApiError('bad_input', `unknown job kind ${kind}`);
    try {
      return def.prepare(params);
    } catch (err) {
      if (err instanceof JobInputError) throw new ApiError('bad_input', err.message);
      throw err;
    }
  }

  private enqueue(id: number): void {
    this.queue.push(id);
    this.options.emit(this.get(id));
    this.pump();
  }

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.queue.length) {
      const id = this.queue.shift()!;
      this.active.set(id, this.runOne(id).finally(() => {
        this.active.delete(id);
        this.pump();
      }));
    }
  }

  /** Runs synchronously up to the kind's first await, so a started job reads 'running' at once. */
  private async runOne(id: number): Promise<void> {
    const row = this.requireJob(id);
    let prepared: PreparedJob;
    let domains: readonly JobWrites[] | undefined;
    try {
      const def = this.kinds.get(row.kind);
      if (!def) throw new JobInputError(`unknown job kind ${row.kind}`);
      domains = def.writes;
      prepared = def.prepare(JSON.parse(row.params));
    } catch (err) {
      this.fail(row, err instanceof JobInputError ? err.message : `${row.kind}: the stored params are not JSON`);
      return;
    }
    const controller = new AbortController();
    this.controllers.set(id, controller);
    this.meters.set(id, new RateMeter(row.done));
    this.store.setState(id, 'running');
    if (this.options.owner !== null) this.store.setOwner(id, this.options.owner);
    this.emitProgress(id, true);
    const moved = (done: number) => {
      this.live.set(id, done);
      this.meters.get(id)?.update(done);
      this.emitProgress(id, false);
    };
    const host: JobHost = {
      jobId: id,
      signal: controller.signal,
      setTotal: (total) => {
        this.store.setTotal(id, total);
        this.emitProgress(id, true);
      },
      progress: moved,
      commit: (writes, done, checkpoint) => {
        if (controller.signal.aborted) throw new Cancelled();
        const written = this.store.transaction(() => {
          const out = writes();
          this.store.checkpoint(id, done, checkpoint);
          return out;
        });
        moved(done);
        this.announceChanges(id, domains, false);
        return written;
      },
      issue: (issue) => this.recordIssue({ jobId: id, ...issue }),
    };
    try {
      const result = await prepared.run(host, row.checkpoint);
      if (controller.signal.aborted) throw new Cancelled();
      this.store.transaction(() => {
        this.store.setResult(id, result);
        const done = this.live.get(id);
        if (done !== undefined) this.store.setDone(id, done);
        this.store.setState(id, 'done');
      });
    } catch (err) {
      if (err instanceof Cancelled || controller.signal.aborted) {
        this.store.setState(id, this.closed ? 'interrupted' : 'cancelled');
      } else {
        this.fail(row, err instanceof Error ? err.message : String(err));
      }
    } finally {
      this.controllers.delete(id);
      this.live.delete(id);
      // Data first, then the final state: a front end that sees `done` can already read what the job wrote.
      this.announceChanges(id, domains, true);
      this.lastChange.delete(id);
      this.emitProgress(id, true);
      this.meters.delete(id);
      this.lastEmit.delete(id);
    }
  }

  private announceChanges(jobId: number, writes: readonly JobWrites[] | undefined, force: boolean): void {
    if (!writes?.length || !this.options.announce) return;
    const now = performance.now();
    if (!force && now - (this.lastChange.get(jobId) ?? 0) < CHANGE_INTERVAL_MS) return;
    this.lastChange.set(jobId, now);
    for (const domain of writes) this.options.announce(domain, jobId);
  }

  private fail(row: JobRow, message: string): void {
    this.store.setState(row.id, 'failed', message);
    this.recordIssue({ kind: 'job_failed', message: `${row.title}: ${message}`, jobId: row.id });
    this.options.emit(this.get(row.id));
  }

  private recordIssue(issue: Parameters<IssueStore['add']>[0]): void {
    if (this.options.issues) this.options.issues.add(issue);
    else process.stderr.write(`${issue.kind}: ${issue.message}\n`);
  }

  private emitProgress(id: number, force: boolean): void {
    const now = performance.now();
    if (!force && now - (this.lastEmit.get(id) ?? 0) < PROGRESS_EVERY_MS) return;
    this.lastEmit.set(id, now);
    this.options.emit(this.get(id));
  }

  private requireOwner(): void {
    if (this.options.owner === null) throw new ApiError('conflict', this.options.readOnlyReason?.() ?? 'the project is open read-only');
    if (this.closed) throw new ApiError('conflict', 'the job runner is shutting down');
  }

  private requireJob(id: number): JobRow {
    const row = this.store.get(id);
    if (!row) throw new ApiError('not_found', `no job ${id}`);
    return row;
  }

  /** Params never change after a job is created: the model each job names is read once. */
  private readonly models = new Map<number, string | null>();

  private modelOf(r: JobRow): string | null {
    let model = this.models.get(r.id);
    if (model === undefined) {
      const params = JSON.parse(r.params) as { model?: unknown };
      model = typeof params.model === 'string' ? params.model : null;
      this.models.set(r.id, model);
    }
    return model;
  }

  private toJob(r: JobRow): JobT {
    const meter = this.meters.get(r.id);
    const done = this.live.get(r.id) ?? r.done;
    return {
      id: r.id, kind: r.kind, title: r.title, state: r.state, done, total: r.total,
      ratePerSec: meter?.perSecond ?? null, etaSec: meter?.eta(done, r.total) ?? null, error: r.error,
      createdAt: r.created_at, updatedAt: r.updated_at, finishedAt: r.finished_at, model: this.modelOf(r),
    };
  }
}
