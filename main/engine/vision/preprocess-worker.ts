// The body of one preprocessing worker, run either as a worker thread or as a child process (see
// preprocess-pool.ts for when each is used). Either way it writes each tensor into the slot its task names and
// sends back only the slot number: a thread's slots are a SharedArrayBuffer it normalizes into directly, a child
// process's a shared-memory file, which costs the parent a third of the CPU of sending the floats over the IPC
// pipe (docs/architecture.md, the pool).
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import type { CachedInput } from './input-cache';
import { prepareInputCache, preprocessInto, readSourcesSynchronously, type PreprocessInput } from './preprocess';
import { tensorLength, type PreprocessSpec } from './preprocess-spec';

export interface PreprocessTask {
  id: number;
  input: PreprocessInput;
  /** Only leave the input's model-input cache entry (import-time preparation): no tensor comes back. */
  cacheOnly?: boolean;
  /** The slot of the worker's shared memory (a thread's SharedArrayBuffer, a process's file) the tensor goes to. */
  slot?: number;
}

export type PreprocessReply =
  | { id: number; ok: true; slot?: number; width: number; height: number }
  | { id: number; ok: false; reason: string }
  /** Sent once the worker has loaded (sharp included): a worker that dies before it never could start. */
  | { ready: true };

/** What a worker thread is started with. */
export interface ThreadWorkerData {
  spec: PreprocessSpec;
  /** Its slots, one tensor long each. */
  slots: SharedArrayBuffer;
}

/** What a child process receives as its one argument (JSON). */
export interface ProcessWorkerData {
  spec: PreprocessSpec;
  /** The shared file holding this child's slots, each one tensor long. */
  slotFile: string;
}

// Parallelism comes from the pool's workers; libvips' own thread pool per worker would oversubscribe.
sharp.concurrency(1);
// Decoded-image caching only helps when the same file is read repeatedly, which a dataset pass never does.
sharp.cache(false);
readSourcesSynchronously();

const reason = (error: unknown) => (error as Error)?.message || String(error);

if (parentPort) {
  const port = parentPort;
  const { spec, slots } = workerData as ThreadWorkerData;
  const length = tensorLength(spec);
  port.on('message', async (task: PreprocessTask) => {
    try {
      if (task.cacheOnly) return port.postMessage({ id: task.id, ok: true, ...(await prepareInputCache(task.input as CachedInput, spec)) } satisfies PreprocessReply);
      const slot = new Float32Array(slots, task.slot! * length * Float32Array.BYTES_PER_ELEMENT, length);
      const size = await preprocessInto(task.input, spec, slot);
      port.postMessage({ id: task.id, ok: true, slot: task.slot, ...size } satisfies PreprocessReply);
    } catch (error) {
      port.postMessage({ id: task.id, ok: false, reason: reason(error) } satisfies PreprocessReply);
    }
  });
  port.postMessage({ ready: true } satisfies PreprocessReply);
} else if (process.send) {
  const { spec, slotFile } = JSON.parse(process.argv[2]) as ProcessWorkerData;
  const fd = openSync(slotFile, 'r+');
  const send = (reply: PreprocessReply) => process.send!(reply);
  // One tensor per slot, reused: a slot belongs to one task at a time.
  const tensors = new Map<number, Float32Array>();
  process.on('message', async (task: PreprocessTask) => {
    try {
      if (task.cacheOnly) return send({ id: task.id, ok: true, ...(await prepareInputCache(task.input as CachedInput, spec)) });
      const slot = task.slot!;
      const tensor = tensors.get(slot) ?? new Float32Array(tensorLength(spec));
      tensors.set(slot, tensor);
      const size = await preprocessInto(task.input, spec, tensor);
      writeSync(fd, tensor, 0, tensor.byteLength, slot * tensor.byteLength);
      send({ id: task.id, ok: true, slot, ...size });
    } catch (error) {
      send({ id: task.id, ok: false, reason: reason(error) });
    }
  });
  // The parent going away closes the IPC channel: nothing is left to do for anyone.
  process.on('disconnect', () => {
    closeSync(fd);
    process.exit(0);
  });
  send({ ready: true });
}
