// The CPU side of a GPU embedding run, on the accelerator machine (bench/gpu/run.sh): how many ViT-B/32
// inputs per second Winnow's preprocessing pool (decode with shrink-on-load, resize, crop, normalize)
// produces in thread mode and in process mode at 1, 2, 4, 8 and 16 workers (interleaved: thread n,
// process n, thread 2n, …), then the full embed pipeline (files → pool → ONNX Runtime's CPU provider) in
// each mode next to ORT alone on ready tensors. The GPU side comes from bench/gpu/torch_vit_b32.py.
// Usage: node decode-bound.mjs OUT.json MODEL_DIR [IMAGES] [PIPELINE_IMAGES]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClipModel } from '../../main/engine/vision/clip-model';
import { embedImageFiles } from '../../main/engine/vision/embed-files';
import { preprocessBatch } from '../../main/engine/vision/preprocess';
import { PreprocessPool } from '../../main/engine/vision/preprocess-pool';
import type { PreprocessMode } from '../../main/engine/vision/preprocess-mode';
import { makeJpegs } from '../lib/photo-jpegs';

const [outFile, modelDir, imageArg, pipelineArg] = process.argv.slice(2);
const count = Number(imageArg ?? 512);
const pipelineCount = Math.min(count, Number(pipelineArg ?? 256));
const cores = os.availableParallelism();
const MODES: PreprocessMode[] = ['thread', 'process'];

async function poolRate(model: ClipModel, files: string[], mode: PreprocessMode, size: number): Promise<number> {
  const pool = new PreprocessPool(model.preprocess, { mode, size, inFlightPerWorker: 4 });
  try {
    await pool.preprocessMany(files.slice(0, size * 2)); // every worker up and warm
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

async function ortAloneRate(model: ClipModel, files: string[], batch: number): Promise<number> {
  const tensors: Float32Array[] = [];
  for (let i = 0; i < files.length; i += batch) tensors.push((await preprocessBatch(files.slice(i, i + batch), model.preprocess)).data);
  await model.embedImages(tensors[0], tensors[0].length / model.imageTensorLength);
  const started = performance.now();
  for (const tensor of tensors) await model.embedImages(tensor, tensor.length / model.imageTensorLength);
  return files.length / ((performance.now() - started) / 1000);
}

async function pipelineRate(model: ClipModel, files: string[], mode: PreprocessMode, batch: number): Promise<{ rate: number; workers: number }> {
  const pool = new PreprocessPool(model.preprocess, { mode });
  try {
    await pool.preprocessMany(files.slice(0, pool.size * 2));
    const started = performance.now();
    let embedded = 0;
    for await (const out of embedImageFiles(model, files, { pool, batchSize: batch })) embedded += out.indexes.length;
    if (embedded !== files.length) throw new Error(`pipeline embedded ${embedded} of ${files.length}`);
    return { rate: files.length / ((performance.now() - started) / 1000), workers: pool.size };
  } finally {
    await pool.close();
  }
}

const dir = process.env.KEEP_JPEGS ?? (await mkdtemp(path.join(os.tmpdir(), 'winnow-gpu-jpegs-')));
await mkdir(dir, { recursive: true });
const load = () => os.loadavg()[0].toFixed(1);
try {
  const generateStart = performance.now();
  const files = await makeJpegs(dir, count);
  process.stderr.write(`generated ${count} JPEGs in ${((performance.now() - generateStart) / 1000).toFixed(1)} s\n`);
  const model = await ClipModel.load(modelDir, { provider: 'cpu' });
  const sizes = [1, 2, 4, 8, 16].filter((n) => n <= cores);
  const pool: Record<PreprocessMode, Record<string, number>> = { thread: {}, process: {} };
  for (const size of sizes) {
    for (const mode of MODES) {
      pool[mode][size] = await poolRate(model, files, mode, size);
      process.stderr.write(`pool ${mode} ${size}: ${pool[mode][size].toFixed(0)} img/s (load ${load()})\n`);
    }
  }
  const batch = 64;
  const subset = files.slice(0, pipelineCount);
  const ortAlone = await ortAloneRate(model, subset, batch);
  process.stderr.write(`ORT CPU alone (${cores} threads, batch ${batch}): ${ortAlone.toFixed(1)} img/s\n`);
  const pipeline: Record<string, { rate: number; workers: number; ofOrt: number }> = {};
  for (const mode of MODES) {
    const { rate, workers } = await pipelineRate(model, subset, mode, batch);
    pipeline[mode] = { rate, workers, ofOrt: rate / ortAlone };
    process.stderr.write(`pipeline ${mode} (${workers} workers): ${rate.toFixed(1)} img/s = ${(rate / ortAlone).toFixed(2)} of ORT alone\n`);
  }
  await model.dispose();
  const result = { cores, cpu: os.cpus()[0]?.model, node: process.version, loadAverageAtEnd: os.loadavg()[0], images: count, poolImagesPerSecond: pool, pipelineImages: pipelineCount, ortCpuImagesPerSecond: ortAlone, pipeline };
  await writeFile(outFile, JSON.stringify(result, null, 1));
  console.log(JSON.stringify(result));
} finally {
  if (process.env.KEEP_JPEGS) console.error(`kept ${dir}`);
  else await rm(dir, { recursive: true, force: true });
}
