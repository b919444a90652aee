import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isCachedInput, missedInput, type CachedInput } from './input-cache';
import { preprocessFromCache, type PreprocessInput } from './preprocess';
import { poolSizing, type PreprocessMode } from './preprocess-mode';
import { tensorLength, type PreprocessSpec } from './preprocess-spec';
import type { PreprocessTask } from './preprocess-worker';
import { startProcessWorker, startThreadWorker, type PoolResult, type WorkerHandle } from './preprocess-workers';

export type { PoolResult } from './preprocess-workers';

export interface PreprocessPoolOptions {
  /** Workers; by default from the core count (preprocess-mode.ts). */
  size?: number;
  /** Cores left to inference when sizing from the core count (default 1; 0 for a pass that only decodes). */
  reserve?: number;
  /** Worker threads or child processes; by default from the core count, `WINNOW_PREPROCESS_MODE` overrides. */
  mode?: PreprocessMode | 'auto';
  /** Tasks queued per worker so it never waits on the main thread between images. */
  inFlightPerWorker?: number;
  /** Override for builds that place the worker elsewhere. */
  workerUrl?: URL;
}

interface Pending {
  task: PreprocessTask;
  /** Where the tensor goes (a slice of the caller's batch), when the caller gave one. */
  target?: Float32Array;
  resolve: (result: PoolResult) => void;
  /** Workers that died while holding this task: it is retried once, then reported. */
  crashes: number;
}

interface PoolWorker {
  handle: WorkerHandle;
  ready: boolean;
  running: Map<number, Pending>;
  completed: number;
}

const DEFAULT_WORKER_URL = new URL('./preprocess-worker-entry.mjs', import.meta.url);
/** Workers that die before they are ready, in a row, before the pool stops replacing them. */
const MAX_FAILED_STARTS = 3;

/** Tensors go through memory-backed files where the system has them (Linux), else the temporary folder. */
function sharedMemoryRoot(): string {
  return process.platform === 'linux' && existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
}

/**
 * Decodes and preprocesses images on worker threads or child processes so JPEG decoding and resizing
 * overlap with inference on the main thread. A bad image resolves to `{ ok: false, reason }`. A worker
 * that dies is replaced; its tasks are retried once on another worker, then reported as failures, so a
 * killed worker never loses an image and an image that kills workers never hangs the pool.
 */
export class PreprocessPool {
  /** Workers now; `grow()` adds one up to `maxSize`. */
  size: number;
  /** What `grow()` may reach: every core's worth (no core reserved) unless the caller or the environment fixed the size. */
  readonly maxSize: number;
  readonly mode: PreprocessMode;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Pending[] = [];
  private readonly inFlightPerWorker: number;
  private readonly workerUrl: URL;
  private readonly slotDir?: string;
  private readonly removeSlotDir = () => this.slotDir && rmSync(this.slotDir, { recursive: true, force: true });
  private nextId = 0;
  /** Tasks handed to workers so far (model-input cache hits are served here and not counted). */
  submitted = 0;
  private spawned = 0;
  private workersStarted = false;
  private failedStarts = 0;
  /** Set when workers cannot start at all: every task then fails with this reason. */
  private broken?: string;
  private startWaiters: Array<() => void> = [];
  private closed = false;

  constructor(
    readonly spec: PreprocessSpec,
    options: PreprocessPoolOptions = {},
  ) {
    const sizing = poolSizing(options);
    this.size = sizing.size;
    this.mode = sizing.mode;
    // A size asked for (option or WINNOW_PREPROCESS_WORKERS) is the same without the reserve: such a pool never grows.
    this.maxSize = Math.max(this.size, poolSizing({ ...options, reserve: 0 }).size);
    this.inFlightPerWorker = Math.max(1, options.inFlightPerWorker ?? 2);
    this.workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
    if (this.mode === 'process') {
      this.slotDir = mkdtempSync(path.join(sharedMemoryRoot(), 'winnow-preprocess-'));
      process.once('exit', this.removeSlotDir);
    }
  }

  /**
   * Workers start with the first task that needs one (or `started()`): a pass whose every image is a
   * model-input cache hit (served on this thread) never pays for starting them (~0.3 s of CPU each).
   */
  private spawnAll(): void {
    if (this.workersStarted || this.closed) return;
    this.workersStarted = true;
    for (let i = 0; i < this.size; i++) this.workers.push(this.spawn());
  }

  /**
   * One more worker, when the pool is below `maxSize`: the embedding stream grows its pool while inference
   * waits on decoding (embed-files.ts), so a core reserved for a model that needs little of it goes to decoding.
   */
  grow(): boolean {
    if (this.closed || this.size >= this.maxSize) return false;
    this.size++;
    if (this.workersStarted) this.workers.push(this.spawn());
    return true;
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = { handle: undefined as unknown as WorkerHandle, ready: false, running: new Map(), completed: 0 };
    const events = {
      ready: () => {
        entry.ready = true;
        this.failedStarts = 0;
        if (this.workers.every((w) => w.ready)) for (const wake of this.startWaiters.splice(0)) wake();
        this.dispatch();
      },
      done: (id: number, result: PoolResult) => {
        const pending = entry.running.get(id);
        if (!pending) return;
        entry.running.delete(id);
        entry.completed++;
        pending.resolve(result);
        this.dispatch();
      },
      gone: (reason: string) => this.replace(entry, reason),
    };
    entry.handle =
      this.mode === 'process'
        ? startProcessWorker(this.workerUrl, this.spec, path.join(this.slotDir!, `${this.spawned++}.f32`), this.inFlightPerWorker, events)
        : startThreadWorker(this.workerUrl, this.spec, this.inFlightPerWorker, events);
    return entry;
  }

  private replace(entry: PoolWorker, reason: string): void {
    const index = this.workers.indexOf(entry);
    if (index === -1) return;
    const orphans = [...entry.running.values()];
    entry.running.clear();
    // Retried first, in their original order, ahead of tasks never started.
    this.queue.unshift(...orphans.filter((pending) => ++pending.crashes < 2));
    for (const pending of orphans.filter((p) => p.crashes >= 2)) pending.resolve({ ok: false, reason });
    if (this.closed) {
      this.workers.splice(index, 1);
      return;
    }
    if (!entry.ready && ++this.failedStarts >= MAX_FAILED_STARTS) {
      this.broken = `preprocessing workers cannot start: ${reason}`;
      this.workers.splice(index, 1);
      if (this.workers.every((w) => w.ready)) for (const wake of this.startWaiters.splice(0)) wake();
      if (this.workers.every((w) => !w.ready)) for (const pending of this.queue.splice(0)) pending.resolve({ ok: false, reason: this.broken });
      return;
    }
    this.workers[index] = this.spawn();
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      // Least busy first; among equals the one that has done least, so a trickle of single tasks (a stream
      // that yields one image at a time) still spreads over every worker instead of always taking the first.
      const idle = this.workers.reduce<PoolWorker | undefined>(
        (best, entry) => (entry.ready && entry.running.size < this.inFlightPerWorker && (!best || entry.running.size < best.running.size
          || (entry.running.size === best.running.size && entry.completed < best.completed)) ? entry : best),
        undefined,
      );
      if (!idle) return;
      const pending = this.queue.shift()!;
      idle.running.set(pending.task.id, pending);
      try {
        idle.handle.post(pending.task, pending.target);
      } catch (error) {
        // A task the worker cannot be sent fails alone, with the reason; waiting for a reply would hang the job.
        idle.running.delete(pending.task.id);
        pending.resolve({ ok: false, reason: `cannot send the image to a preprocessing worker: ${(error as Error).message}` });
      }
    }
  }

  /**
   * The input's tensor, written into `target` when given (one tensor long: a slice of the caller's batch, so
   * the batch is filled without a tensor per image); `data` is then `target`.
   */
  preprocess(input: PreprocessInput, target?: Float32Array): Promise<PoolResult>;
  /** `wrap` false: a cache hit comes back as the result itself, not a promise of it (preprocessMany). */
  preprocess(input: PreprocessInput, target: Float32Array | undefined, wrap: false): PoolResult | Promise<PoolResult>;
  preprocess(input: PreprocessInput, target?: Float32Array, wrap = true): PoolResult | Promise<PoolResult> {
    if (this.closed) return Promise.reject(new Error('preprocess pool is closed'));
    if (target && target.length !== tensorLength(this.spec)) return Promise.reject(new RangeError(`target holds ${target.length} floats, a tensor is ${tensorLength(this.spec)}`));
    // A usable model-input cache entry is cheaper to read here than to send to a worker (input-cache.ts).
    if (!isCachedInput(input)) return this.submit({ id: this.nextId++, input }, target);
    const cached = preprocessFromCache(input, this.spec, target);
    if (cached) {
      const result: PoolResult = { ok: true, data: cached.data, width: cached.width, height: cached.height };
      return wrap ? Promise.resolve(result) : result;
    }
    return this.submit({ id: this.nextId++, input: missedInput(input) }, target);
  }

  /**
   * Leaves the input's model-input cache entry on a worker (decoding its source unless a usable entry is
   * there already) and sends no tensor back: the import-time preparation (inputs-job.ts).
   */
  async prepareInput(input: CachedInput): Promise<{ ok: true; width: number; height: number } | { ok: false; reason: string }> {
    if (this.closed) throw new Error('preprocess pool is closed');
    const result = await this.submit({ id: this.nextId++, input, cacheOnly: true });
    return result.ok ? { ok: true, width: result.width, height: result.height } : result;
  }

  private submit(task: PreprocessTask, target?: Float32Array): Promise<PoolResult> {
    this.submitted++;
    this.spawnAll();
    if (this.broken && this.workers.every((w) => !w.ready)) return Promise.resolve({ ok: false, reason: this.broken });
    return new Promise((resolve) => {
      this.queue.push({ task, target, resolve, crashes: 0 });
      this.dispatch();
    });
  }

  /**
   * With `batch`, image i's tensor is written at i × the tensor length (as the model takes a batch). Cache hits are
   * served in one synchronous loop, and a batch of nothing but hits resolves without a promise per image.
   */
  preprocessMany(inputs: readonly PreprocessInput[], batch?: Float32Array): Promise<PoolResult[]> {
    const length = tensorLength(this.spec);
    if (batch && batch.length < inputs.length * length) return Promise.reject(new RangeError(`batch holds ${batch.length} floats, ${inputs.length} tensors need ${inputs.length * length}`));
    const results: (PoolResult | Promise<PoolResult>)[] = new Array(inputs.length);
    let pending = false;
    for (let i = 0; i < inputs.length; i++) {
      const target = batch?.subarray(i * length, (i + 1) * length);
      const result = this.preprocess(inputs[i], target, false);
      results[i] = result;
      pending ||= result instanceof Promise;
    }
    return pending ? Promise.all(results) : Promise.resolve(results as PoolResult[]);
  }

  /** Resolves once every live worker has started, or the pool is closed or cannot start workers (tasks go only to
   *  started workers, so a slow start takes no share). */
  started(): Promise<void> {
    this.spawnAll();
    if (this.workers.every((w) => w.ready)) return Promise.resolve();
    return new Promise((resolve) => this.startWaiters.push(resolve));
  }

  /** Images finished by each live worker: shows whether work really spreads over the workers. */
  completedPerWorker(): number[] {
    return this.workers.map((entry) => entry.completed);
  }

  /** The started child processes' ids in process mode (to watch or signal them); empty for threads. */
  workerPids(): number[] {
    return this.workers.flatMap((entry) => (entry.ready && entry.handle.pid !== undefined ? [entry.handle.pid] : []));
  }

  /** Stops the workers; queued and running tasks resolve as failures. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const wake of this.startWaiters.splice(0)) wake();
    for (const pending of this.queue.splice(0)) pending.resolve({ ok: false, reason: 'preprocess pool closed' });
    const running = this.workers.flatMap((entry) => [...entry.running.values()]);
    await Promise.all(this.workers.map((entry) => entry.handle.terminate()));
    for (const pending of running) pending.resolve({ ok: false, reason: 'preprocess pool closed' });
    this.removeSlotDir();
    process.off('exit', this.removeSlotDir);
  }
}
