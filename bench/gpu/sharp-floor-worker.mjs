// A worker of the decode floor in decode-bound.ts: plain sharp decode + resize of its share of the files,
// no normalization and no tensors sent back, so the pool's own costs can be told apart from libvips'.
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';

sharp.concurrency(1);
sharp.cache(false);
const { files, size } = workerData;
// Timing starts when every worker has loaded sharp: 'ready', then the parent's 'go'.
parentPort.once('message', async () => {
  for (const file of files) await sharp(file).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  parentPort.postMessage('done');
});
parentPort.postMessage('ready');
