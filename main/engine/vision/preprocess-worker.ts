// The body of one preprocessing worker, run either as a worker thread or as a child process (see
// preprocess-pool.ts for when each is used). A thread transfers its tensor's buffer back; a child
// process writes it into its slot of a shared-memory file and sends only the slot number, which costs
// the parent a third of the CPU of sending the floats over the IPC pipe (docs/architecture.md, the pool).
import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import type { CachedInput } from './input-cache';
import { prepareInputCache, preprocessImage, type PreprocessInput } from './preprocess';
import type { PreprocessSpec } from './preprocess-spec';

export interface PreprocessTask {
  id: number;
  input: PreprocessInput;
  /** Only leave the input's model-input cache entry (import-time preparation): no tensor comes back. */
  cacheOnly?: boolean;
  /** Process mode: the slot of the shared file the tensor goes to. */
  slot?: number;
}

export type PreprocessReply =
  | { id: number; ok: true; data?: Float32Array; slot?: number; width: number; height: number }
  | { id: number; ok: false; reason: string }
  /** Sent once the worker has loaded (sharp included): a worker that dies before it never could start. */
  | { ready: true };

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

const reason = (error: unknown) => (error as Error)?.message || String(error);

if (parentPort) {
  const port = parentPort;
  const { spec } = workerData as { spec: PreprocessSpec };
  port.on('message', async (task: PreprocessTask) => {
    try {
      if (task.cacheOnly) return port.postMessage({ id: task.id, ok: true, ...(await prepareInputCache(task.input as CachedInput, spec)) } satisfies PreprocessReply);
      const image = await preprocessImage(task.input, spec);
      port.postMessage({ id: task.id, ok: true, ...image } satisfies PreprocessReply, [image.data.buffer as ArrayBuffer]);
    } catch (error) {
      port.postMessage({ id: task.id, ok: false, reason: reason(error) } satisfies PreprocessReply);
    }
  });
  port.postMessage({ ready: true } satisfies PreprocessReply);
} else if (process.send) {
  const { spec, slotFile } = JSON.parse(process.argv[2]) as ProcessWorkerData;
  const fd = openSync(slotFile, 'r+');
  const send = (reply: PreprocessReply) => process.send!(reply);
  process.on('message', async (task: PreprocessTask) => {
    try {
      if (task.cacheOnly) return send({ id: task.id, ok: true, ...(await prepareInputCache(task.input as CachedInput, spec)) });
      const image = await preprocessImage(task.input, spec);
      const bytes = image.data.byteLength;
      writeSync(fd, image.data, 0, bytes, task.slot! * bytes);
      send({ id: task.id, ok: true, slot: task.slot, width: image.width, height: image.height });
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
