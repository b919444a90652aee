import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { preprocessImage, type ImageInput } from './preprocess';
import type { PreprocessSpec } from './preprocess-spec';

export interface PreprocessTask {
  id: number;
  input: ImageInput;
}

export type PreprocessReply =
  | { id: number; ok: true; data: Float32Array; width: number; height: number }
  | { id: number; ok: false; reason: string };

const { spec } = workerData as { spec: PreprocessSpec };
// Parallelism comes from the pool's threads; libvips' own thread pool per worker would oversubscribe.
sharp.concurrency(1);
// Decoded-image caching only helps when the same file is read repeatedly, which a dataset pass never does.
sharp.cache(false);

parentPort!.on('message', async (task: PreprocessTask) => {
  try {
    const image = await preprocessImage(task.input, spec);
    const reply: PreprocessReply = { id: task.id, ok: true, ...image };
    parentPort!.postMessage(reply, [image.data.buffer as ArrayBuffer]);
  } catch (error) {
    const reply: PreprocessReply = { id: task.id, ok: false, reason: (error as Error).message || String(error) };
    parentPort!.postMessage(reply);
  }
});
