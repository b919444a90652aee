// The two kinds of preprocessing worker behind one small interface, so the pool's queueing, crash
// handling and replacement are written once. Both run preprocess-worker.ts through its plain-JS entry.
import { fork } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PreprocessSpec } from './preprocess-spec';
import { tensorLength } from './preprocess-spec';
import type { PreprocessReply, PreprocessTask, ProcessWorkerData, ThreadWorkerData } from './preprocess-worker';

export type PoolResult = { ok: true; data: Float32Array; width: number; height: number } | { ok: false; reason: string };

export interface WorkerEvents {
  ready(): void;
  done(id: number, result: PoolResult): void;
  /** The worker is gone (crashed, killed, exited): called once. */
  gone(reason: string): void;
}

export interface WorkerHandle {
  /** A child process's id (process mode). */
  readonly pid?: number;
  /** `target`: where the tensor goes (one tensor long, the caller's batch); without it a new array is made. */
  post(task: PreprocessTask, target?: Float32Array): void;
  terminate(): Promise<void>;
}

type TaskReply = Exclude<PreprocessReply, { ready: true }>;

/** `collect` returns a successful task's tensor and releases what the task held (a child's slot) before the pool hears of it. */
function route(message: PreprocessReply, events: WorkerEvents, collect: (reply: TaskReply) => Float32Array | undefined): void {
  if ('ready' in message) return events.ready();
  // A cache-only task (preprocess-worker.ts) succeeds with no tensor: an empty one stands for it.
  const data = collect(message) ?? new Float32Array(0);
  events.done(message.id, message.ok ? { ok: true, data, width: message.width, height: message.height } : { ok: false, reason: message.reason });
}

/**
 * Each worker has `slots` tensors of shared memory, one per task in flight: it normalizes into its task's slot
 * and the tensor is copied once, from the slot into the caller's batch. Allocating (and page-faulting) a fresh
 * tensor per image in the worker, transferring it and copying it again cost more than the normalizing itself for
 * 224-px inputs (~1 CPU-ms of a 600 KB tensor's ~1.3, measured on 2 cores).
 */
export function startThreadWorker(entry: URL, spec: PreprocessSpec, slots: number, events: WorkerEvents): WorkerHandle {
  const length = tensorLength(spec);
  const shared = new SharedArrayBuffer(length * Float32Array.BYTES_PER_ELEMENT * slots);
  const slotView = (slot: number) => new Float32Array(shared, slot * length * Float32Array.BYTES_PER_ELEMENT, length);
  const claims = slotClaims(slots);
  const worker = new Worker(entry, { workerData: { spec, slots: shared } satisfies ThreadWorkerData });
  let gone = false;
  const end = (reason: string) => {
    if (!gone) events.gone(reason);
    gone = true;
  };
  worker.on('message', (message: PreprocessReply) => route(message, events, (reply) => claims.release(reply.id, (target) => copyInto(slotView, reply, target))));
  worker.on('error', (error) => end(`preprocess worker crashed: ${error.message}`));
  worker.on('exit', (code) => end(`preprocess worker exited with code ${code}`));
  return {
    post: (task, target) => claims.send(task, target, (message) => worker.postMessage(message)),
    terminate: async () => {
      gone = true;
      await worker.terminate();
    },
  };
}

/** The slot of a successful reply, copied into `target` (or a new tensor). */
function copyInto(slotView: (slot: number) => Float32Array, reply: TaskReply, target: Float32Array | undefined): Float32Array | undefined {
  if (!reply.ok || reply.slot === undefined) return undefined;
  const tensor = target ?? new Float32Array(slotView(reply.slot).length);
  tensor.set(slotView(reply.slot));
  return tensor;
}

/** Which slot each task in flight holds, and the caller's tensor its result goes to. */
function slotClaims(slots: number) {
  const free = Array.from({ length: slots }, (_, slot) => slot);
  const held = new Map<number, { slot: number; target?: Float32Array }>();
  return {
    claim(id: number, target?: Float32Array): number {
      const slot = free.pop();
      if (slot === undefined) throw new Error('preprocess worker has no free slot (more tasks in flight than slots)');
      held.set(id, { slot, target });
      return slot;
    },
    /** Sends `task` with a claimed slot; a message that cannot be sent (not cloneable) gives its slot back and throws. */
    send<T extends { id: number }>(task: T, target: Float32Array | undefined, post: (message: T & { slot: number }) => void): void {
      const slot = this.claim(task.id, target);
      try {
        post({ ...task, slot });
      } catch (error) {
        this.release(task.id, () => undefined);
        throw error;
      }
    },
    /** Reads the reply's tensor (through `read`) and frees its slot. */
    release(id: number, read: (target: Float32Array | undefined) => Float32Array | undefined): Float32Array | undefined {
      const claim = held.get(id);
      if (!claim) return undefined;
      held.delete(id);
      try {
        return read(claim.target);
      } finally {
        free.push(claim.slot);
      }
    },
  };
}

/**
 * A child process with a shared-memory file of `slots` tensors: the child writes each tensor into the
 * slot its task names, and only the slot number crosses the IPC pipe.
 */
export function startProcessWorker(entry: URL, spec: PreprocessSpec, slotFile: string, slots: number, events: WorkerEvents): WorkerHandle {
  const bytes = tensorLength(spec) * Float32Array.BYTES_PER_ELEMENT;
  const fd = openSync(slotFile, 'w+');
  ftruncateSync(fd, bytes * slots);
  const claims = slotClaims(slots);
  const collect = (reply: TaskReply) =>
    claims.release(reply.id, (target) => {
      if (!reply.ok || reply.slot === undefined) return undefined;
      const tensor = target ?? new Float32Array(bytes / Float32Array.BYTES_PER_ELEMENT);
      readSync(fd, new Uint8Array(tensor.buffer, tensor.byteOffset, bytes), 0, bytes, reply.slot * bytes);
      return tensor;
    });
  const data: ProcessWorkerData = { spec, slotFile };
  // execArgv: [] — the entry loads TypeScript itself; the parent's flags (test runners' loaders, inspectors) are not the child's business.
  const child = fork(fileURLToPath(entry), [JSON.stringify(data)], { serialization: 'advanced', execArgv: [], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let gone = false;
  const release = () => {
    if (gone) return;
    gone = true;
    closeSync(fd);
    rmSync(slotFile, { force: true });
  };
  // Replies still in the pipe when the child died belong to tasks the pool has already retried or failed.
  child.on('message', (message: PreprocessReply) => gone || route(message, events, collect));
  child.on('error', (error) => {
    if (gone) return;
    release();
    events.gone(`preprocess process failed: ${error.message}`);
  });
  child.on('exit', (code, signal) => {
    if (gone) return;
    release();
    events.gone(`preprocess process exited (${signal ?? `code ${code}`})`);
  });
  return {
    pid: child.pid,
    post: (task, target) => claims.send(task, target, (message) => child.send(message)),
    terminate: async () => {
      if (gone) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      release();
      child.kill();
      await exited;
    },
  };
}

