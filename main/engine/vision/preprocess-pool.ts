import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ImageInput } from './preprocess';
import type { PreprocessSpec } from './preprocess-spec';
import type { PreprocessReply, PreprocessTask } from './preprocess-worker';

export type PoolResult = { ok: true; data: Float32Array; width: number; height: number } | { ok: false; reason: string };

export interface PreprocessPoolOptions {
  /** Worker threads; defaults to one fewer than the cores (the rest feed inference), at least one. */
  size?: number;
  /** Tasks queued per worker so it never waits on the main thread between images. */
  inFlightPerWorker?: number;
  /** Override for builds that place the worker elsewhere. */
  workerUrl?: URL;
}

interface Pending {
  task: PreprocessTask;
  resolve: (result: PoolResult) => void;
}

interface PoolWorker {
  worker: Worker;
  running: Map<number, Pending>;
  completed: number;
}

const DEFAULT_WORKER_URL = new URL('./preprocess-worker-entry.mjs', import.meta.url);

/**
 * Decodes and preprocesses images on worker threads so JPEG decoding and resizing overlap with
 * inference on the main thread. A bad image resolves to `{ ok: false, reason }`; a crashed worker
 * fails only its own tasks and is replaced.
 */
export class PreprocessPool {
  readonly size: number;
  private readonly workers: PoolWorker[] = [];
  private readonly queue: Pending[] = [];
  private readonly inFlightPerWorker: number;
  private readonly workerUrl: URL;
  private nextId = 0;
  private closed = false;

  constructor(
    readonly spec: PreprocessSpec,
    options: PreprocessPoolOptions = {},
  ) {
    this.size = Math.max(1, options.size ?? os.availableParallelism() - 1);
    this.inFlightPerWorker = Math.max(1, options.inFlightPerWorker ?? 2);
    this.workerUrl = options.workerUrl ?? DEFAULT_WORKER_URL;
    for (let i = 0; i < this.size; i++) this.workers.push(this.spawn());
  }

  private spawn(): PoolWorker {
    const entry: PoolWorker = { worker: new Worker(this.workerUrl, { workerData: { spec: this.spec } }), running: new Map(), completed: 0 };
    entry.worker.on('message', (reply: PreprocessReply) => {
      const pending = entry.running.get(reply.id);
      if (!pending) return;
      entry.running.delete(reply.id);
      entry.completed++;
      pending.resolve(reply.ok ? { ok: true, data: reply.data, width: reply.width, height: reply.height } : { ok: false, reason: reply.reason });
      this.dispatch();
    });
    const fail = (reason: string) => {
      const index = this.workers.indexOf(entry);
      if (index === -1) return;
      for (const pending of entry.running.values()) pending.resolve({ ok: false, reason });
      entry.running.clear();
      if (this.closed) {
        this.workers.splice(index, 1);
        return;
      }
      this.workers[index] = this.spawn();
      this.dispatch();
    };
    entry.worker.on('error', (error) => fail(`preprocess worker crashed: ${error.message}`));
    entry.worker.on('exit', (code) => fail(`preprocess worker exited with code ${code}`));
    return entry;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const idle = this.workers.reduce<PoolWorker | undefined>(
        (best, entry) => (entry.running.size < this.inFlightPerWorker && (!best || entry.running.size < best.running.size) ? entry : best),
        undefined,
      );
      if (!idle) return;
      const pending = this.queue.shift()!;
      idle.running.set(pending.task.id, pending);
      idle.worker.postMessage(pending.task);
    }
  }

  preprocess(input: ImageInput): Promise<PoolResult> {
    if (this.closed) return Promise.reject(new Error('preprocess pool is closed'));
    return new Promise((resolve) => {
      this.queue.push({ task: { id: this.nextId++, input }, resolve });
      this.dispatch();
    });
  }

  preprocessMany(inputs: readonly ImageInput[]): Promise<PoolResult[]> {
    return Promise.all(inputs.map((input) => this.preprocess(input)));
  }

  /** Images finished by each live worker: shows whether work really spreads over the threads. */
  completedPerWorker(): number[] {
    return this.workers.map((entry) => entry.completed);
  }

  /** Stops the workers; queued and running tasks resolve as failures. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.resolve({ ok: false, reason: 'preprocess pool closed' });
    await Promise.all(this.workers.map((entry) => entry.worker.terminate()));
  }
}
