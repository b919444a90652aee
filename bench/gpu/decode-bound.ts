// The CPU side of a GPU embedding run: how many ViT-B/32 inputs per second Winnow's real
// preprocessing pool (JPEG decode with shrink-on-load, resize, crop, normalize on worker threads)
// produces at each pool size, next to ONNX Runtime's CPU provider on the same machine. Run on the
// accelerator machine by bench/gpu/run.sh; the GPU side comes from bench/gpu/torch_vit_b32.py.
// Usage: node decode-bound.mjs OUT.json MODEL_DIR [IMAGES]
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { fork, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import sharp from 'sharp';
import os from 'node:os';
import path from 'node:path';
import { ClipModel } from '../../main/engine/vision/clip-model';
import { preprocessBatch } from '../../main/engine/vision/preprocess';
import { PreprocessPool } from '../../main/engine/vision/preprocess-pool';
import { makeJpegs } from '../lib/photo-jpegs';

const [outFile, modelDir, imageArg] = process.argv.slice(2);
const count = Number(imageArg ?? 1024);
const cores = os.availableParallelism();

async function poolRate(model: ClipModel, files: string[], size: number): Promise<number> {
  const pool = new PreprocessPool(model.preprocess, { size, inFlightPerWorker: 4 });
  try {
    await pool.preprocessMany(files.slice(0, size * 2));
    const started = performance.now();
    const results = await pool.preprocessMany(files);
    const seconds = (performance.now() - started) / 1000;
    const failed = results.filter((r) => !r.ok).length;
    if (failed) throw new Error(`${failed} images failed to preprocess`);
    return files.length / seconds;
  } finally {
    await pool.close();
  }
}

/** libvips alone: `threads` workers each decoding and resizing its share with sharp, nothing sent back. */
async function sharpThreadsRate(files: string[], threads: number, size: number): Promise<number> {
  const shares = Array.from({ length: threads }, (_, t) => files.filter((_, i) => i % threads === t));
  const workers = shares.map((share) => new Worker(new URL('./sharp-floor-worker.mjs', import.meta.url), { workerData: { files: share, size } }));
  const next = (worker: Worker) => new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });
  await Promise.all(workers.map(next));
  const started = performance.now();
  const finished = workers.map(next);
  for (const worker of workers) worker.postMessage('go');
  await Promise.all(finished);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((worker) => worker.terminate()));
  return files.length / seconds;
}

/** libvips alone in `processes` child processes: separates per-process limits (libuv's pool, locks) from the machine's. */
async function sharpProcessesRate(files: string[], processes: number, size: number): Promise<number> {
  const shares = Array.from({ length: processes }, (_, t) => files.filter((_, i) => i % processes === t));
  const children = shares.map((share) => fork(new URL('./sharp-floor-process.mjs', import.meta.url), [String(size), ...share]));
  const next = (child: ChildProcess) => new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
  });
  await Promise.all(children.map(next));
  const started = performance.now();
  const finished = children.map(next);
  for (const child of children) child.send('go');
  await Promise.all(finished);
  return files.length / ((performance.now() - started) / 1000);
}

/** libvips alone, the way sharp is usually driven: one thread, libvips' own thread pool, many images in flight. */
async function sharpPromisesRate(files: string[], concurrency: number, size: number): Promise<number> {
  sharp.concurrency(concurrency);
  const started = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: concurrency * 4 }, async () => {
    while (next < files.length) await sharp(files[next++]).resize(size, size, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  }));
  return files.length / ((performance.now() - started) / 1000);
}

/** Winnow's pool fed bytes read up front, to separate file reads from decoding. */
async function poolFromBytesRate(model: ClipModel, files: string[], size: number): Promise<number> {
  const bytes = await Promise.all(files.map((file) => readFile(file)));
  const pool = new PreprocessPool(model.preprocess, { size, inFlightPerWorker: 4 });
  try {
    await pool.preprocessMany(bytes.slice(0, size * 2));
    const started = performance.now();
    await pool.preprocessMany(bytes);
    return files.length / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
  }
}

async function ortCpuRate(model: ClipModel, files: string[], requestedBatch: number): Promise<number> {
  let batch = requestedBatch;
  const tensor = (await preprocessBatch(files.slice(0, batch), model.preprocess)).data;
  batch = tensor.length / model.imageTensorLength;
  await model.embedImages(tensor, batch);
  const rounds = 3;
  const started = performance.now();
  for (let i = 0; i < rounds; i++) await model.embedImages(tensor, batch);
  return (rounds * batch) / ((performance.now() - started) / 1000);
}

const dir = process.env.KEEP_JPEGS ?? (await mkdtemp(path.join(os.tmpdir(), 'winnow-gpu-jpegs-')));
await mkdir(dir, { recursive: true });
try {
  const generateStart = performance.now();
  const files = await makeJpegs(dir, count);
  process.stderr.write(`generated ${count} JPEGs in ${((performance.now() - generateStart) / 1000).toFixed(1)} s\n`);
  const model = await ClipModel.load(modelDir, { provider: 'cpu' });
  const sizes = [...new Set([1, 2, 4, 8, Math.max(1, cores - 1), cores])].filter((n) => n <= cores);
  const pool: Record<string, number> = {};
  for (const size of sizes) {
    pool[size] = await poolRate(model, files, size);
    process.stderr.write(`pool ${size}: ${pool[size].toFixed(0)} img/s\n`);
  }
  const floor: Record<string, number> = {};
  for (const threads of sizes.filter((n) => n > 1)) {
    floor[`sharp ${threads} threads`] = await sharpThreadsRate(files, threads, model.preprocess.width);
    floor[`pool ${threads} from bytes`] = await poolFromBytesRate(model, files, threads);
    floor[`sharp ${threads} processes`] = await sharpProcessesRate(files, threads, model.preprocess.width);
  }
  floor[`sharp 1 thread, concurrency ${cores}`] = await sharpPromisesRate(files, cores, model.preprocess.width);
  for (const [name, value] of Object.entries(floor)) process.stderr.write(`${name}: ${value.toFixed(0)} img/s\n`);
  const ortCpu = await ortCpuRate(model, files, 64);
  process.stderr.write(`ORT CPU (${cores} threads, batch 64): ${ortCpu.toFixed(1)} img/s\n`);
  await model.dispose();
  const result = { uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (default)', cores, cpu: os.cpus()[0]?.model, node: process.version, images: count, poolImagesPerSecond: pool, floorImagesPerSecond: floor, ortCpuImagesPerSecond: ortCpu };
  await writeFile(outFile, JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result));
} finally {
  if (process.env.KEEP_JPEGS) console.error(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
