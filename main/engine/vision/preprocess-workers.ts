// The two kinds of preprocessing worker behind one small interface, so the pool's queueing, crash
// handling and replacement are written once. Both run preprocess-worker.ts through its plain-JS entry.
import { fork } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PreprocessSpec } from './preprocess-spec';
import { tensorLength } from './preprocess-spec';
import type { PreprocessReply, PreprocessTask, ProcessWorkerData } from './preprocess-worker';

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
  post(task: PreprocessTask): void;
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

export function startThreadWorker(entry: URL, spec: PreprocessSpec, events: WorkerEvents): WorkerHandle {
  const worker = new Worker(entry, { workerData: { spec } });
  let gone = false;
  const end = (reason: string) => {
    if (!gone) events.gone(reason);
    gone = true;
  };
  worker.on('message', (message: PreprocessReply) => route(message, events, (reply) => (reply.ok ? reply.data : undefined)));
  worker.on('error', (error) => end(`preprocess worker crashed: ${error.message}`));
  worker.on('exit', (code) => end(`preprocess worker exited with code ${code}`));
  return {
    post: (task) => worker.postMessage(task),
    terminate: async () => {
      gone = true;
      await worker.terminate();
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
  const free = Array.from({ length: slots }, (_, slot) => slot);
  const slotOf = new Map<number, number>();
  const collect = (reply: TaskReply) => {
    const slot = slotOf.get(reply.id)!;
    slotOf.delete(reply.id);
    free.push(slot);
    if (!reply.ok || reply.slot === undefined) return undefined;
    const tensor = new Float32Array(bytes / Float32Array.BYTES_PER_ELEMENT);
    readSync(fd, tensor, 0, bytes, slot * bytes);
    return tensor;
  };
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
    post: (task) => {
      const slot = free.pop();
      if (slot === undefined) throw new Error('preprocess process has no free slot (more tasks in flight than slots)');
      slotOf.set(task.id, slot);
      child.send({ ...task, slot });
    },
    terminate: async () => {
      if (gone) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      release();
      child.kill();
      await exited;
    },
  };
}

