// `npm run bench:embed`: image-embedding throughput on this machine, three ways, for the built-in
// model and for a ViT-B/32-shaped CLIP vision graph (random weights, built by bench/make-vit-b32.py):
//   (a) ONNX Runtime alone on ready tensors — the ceiling;
//   (b) the real pipeline: JPEG files on disk → PreprocessPool workers → embedImageFiles batches;
//   (c) a naive baseline: decode, preprocess, run batch 1, one image after another;
//   (d) the decode side alone (the pool with no inference);
//   (e) the pipeline as the embed job feeds it once the grid has made thumbnails: each file's 320-px WebP
//       thumbnail (media.ts renderThumbnail) where thumbnail-input.ts's rule allows it, else the original.
//       (e)/(a) is the "file pipeline vs ORT alone" ratio with thumbnails; (b)/(a) without them;
//   (f) a later pass of the same preprocessing (input ≤ 128 px only) through the model-input cache that the
//       first pass leaves (input-cache.ts): a file read and normalization instead of a decode.
// Then, per method, the share of its CPU inside ORT's runs over (a)'s share: the CPU ratio vs ORT alone without the
// ±20% swing that load puts into ORT's own CPU between runs (for (b)/(e) it counts ORT slowed by the decode workers
// beside it as ORT's, so there it flatters the pipeline; (f) reads on the same thread, between runs; (g) is the first embed job).
// Below the table, the CPU one image costs: decoding the original, the thumbnail, the cache entry, 32 originals
// re-encoded upright and EXIF-rotated, and ORT
// (all its threads), and the ceiling that sets for the pipeline / ORT ratio when both share every core.
// Options (env): BENCH_IMAGES (built-in model, default 384), BENCH_B32_IMAGES (default 64),
// BENCH_ROUNDS (default 2; the best round is reported), BENCH_SKIP_B32=1, BENCH_POOL (preprocess workers; the pipeline's default otherwise), BENCH_POOL_MODE (thread|process; default from the cores), BENCH_CACHE (where the B/32 folder is built; default $TMPDIR/winnow-embed-bench).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClipModel } from '../main/engine/vision/clip-model';
import { defaultBatchSize, embedImageFiles } from '../main/engine/vision/embed-files';
import { preprocessBatch, preprocessImage, type PreprocessInput } from '../main/engine/vision/preprocess';
import { PreprocessPool } from '../main/engine/vision/preprocess-pool';
import sharp from 'sharp';
import { makeJpegs } from './lib/photo-jpegs';
import { renderThumbnail } from '../main/engine/media/media';
import { thumbnailCovers } from '../main/engine/vision/thumbnail-input';
import type { PreprocessSpec } from '../main/engine/vision/preprocess-spec';
import type { PreprocessMode } from '../main/engine/vision/preprocess-mode';
import { cachedInput, inputCacheEligible, type CachedInput } from '../main/engine/vision/input-cache';
import { importFolder, importThenEmbed, type ImportEmbed } from './lib/import-embed';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILTIN = path.join(ROOT, 'models', 'winnow-clip-mini');
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 2));
const POOL_SIZE = process.env.BENCH_POOL ? Number(process.env.BENCH_POOL) : undefined;
const POOL_MODE = process.env.BENCH_POOL_MODE as PreprocessMode | undefined;
const CACHE = process.env.BENCH_CACHE ?? path.join(os.tmpdir(), 'winnow-embed-bench');
/** Every method runs the model as the embed job does: image rows only, no patch tokens (embed-job.ts). */
const ROWS_ONLY = { patches: false };

/**
 * The process's CPU (µs) spent inside ONNX Runtime's runs so far. onnxruntime-node runs a session synchronously in a
 * setImmediate callback (its backend.js), so the CPU of those callbacks is ORT's, its own threads included. Under
 * load ORT's CPU per image swings by ±20% between runs, so (f)'s CPU against (a)'s, from two runs, does too; the share
 * of one run's CPU that ORT took is measured within that run, and (f)'s share over (a)'s is the CPU ratio with that
 * swing taken out. A later onnxruntime-node that runs elsewhere leaves this at 0 and the share reads "—".
 */
let ortCpuUs = 0;
const plainSetImmediate = globalThis.setImmediate;
globalThis.setImmediate = Object.assign(<A extends unknown[]>(callback: (...args: A) => void, ...args: A) => plainSetImmediate(() => {
  const before = process.cpuUsage();
  try {
    callback(...args);
  } finally {
    const used = process.cpuUsage(before);
    ortCpuUs += used.user + used.system;
  }
}), plainSetImmediate) as typeof setImmediate;

/**
 * Wall time, the process's CPU time (worker threads included: on a shared machine another process's load
 * stretches wall time, not the CPU an image costs), the part of it inside ORT's runs, and peak RSS while `work`
 * runs, sampled every 20 ms.
 */
async function measured<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; cpuMs: number; ortShare: number; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 20);
  const cpu = process.cpuUsage();
  const ortBefore = ortCpuUs;
  const started = performance.now();
  try {
    const result = await work();
    const used = process.cpuUsage(cpu);
    const cpuUs = used.user + used.system;
    return { result, seconds: (performance.now() - started) / 1000, cpuMs: cpuUs / 1000, ortShare: (ortCpuUs - ortBefore) / cpuUs, peakRss: Math.max(peakRss, process.memoryUsage.rss()) };
  } finally {
    clearInterval(timer);
  }
}

interface Row {
  model: string;
  images: number;
  batch: number;
  poolSize: number;
  poolMode: string;
  ceiling: number;
  fromCache: number | null;
  /** One image on one core, ms: decoding the original, the thumbnail, the cache entry. */
  decodeMs: { original: number; thumbnail: number; cache: number | null; upright: number; rotated: number };
  /** ORT's CPU per image, ms (all its threads). */
  ortMs: number;
  pipeline: number;
  fromThumbs: number;
  thumbsUsed: number;
  naive: number;
  decode: number;
  inferenceBusy: number;
  rss: [number, number, number];
  /** CPU ms per image of each timed method, the lowest over the rounds. */
  cpu: Record<'a' | 'b' | 'c' | 'd' | 'e' | 'f', number>;
  /** Each round's share of the process's CPU that ORT's runs took, per inferring method (see ortCpuUs). */
  ortShare: Record<'a' | 'b' | 'e' | 'f' | 'g', number[]>;
  /** A real project: import, the import-time input pass, the first embed job; and the embed job with the cache off. */
  flow: { cached: ImportEmbed; plain: ImportEmbed; ortRate: number } | null;
}

/**
 * Each method runs ROUNDS times, interleaved (a, d, b, c, a, d, b, c, …), and the best round counts:
 * on a shared machine, other processes only ever slow a round down, so the fastest is the truest.
 */
/** Thumbnails as the grid makes them, and the input the embed job picks for each file (thumbnail-input.ts's rule). */
async function thumbnailInputs(files: string[], spec: PreprocessSpec): Promise<string[]> {
  return Promise.all(files.map(async (file) => {
    const thumb = file.replace(/\.jpg$/, '.thumb.webp');
    if (!existsSync(thumb)) await writeFile(thumb, await renderThumbnail(sharp(file).rotate()));
    const [original, small] = await Promise.all([sharp(file).metadata(), sharp(thumb).metadata()]);
    return thumbnailCovers(spec, original, small) ? thumb : file;
  }));
}

async function benchModel(label: string, folder: string, files: string[], importDir: string | null): Promise<Row> {
  const model = await ClipModel.load(folder, { provider: 'cpu' });
  const batch = defaultBatchSize(model);
  const length = model.imageTensorLength;
  const pool = new PreprocessPool(model.preprocess, { size: POOL_SIZE, mode: POOL_MODE });
  const best = { a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, busy: 0 };
  const cpu = { a: Infinity, b: Infinity, c: Infinity, d: Infinity, e: Infinity, f: Infinity };
  const ortShare: Row['ortShare'] = { a: [], b: [], e: [], f: [], g: [] };
  let flow: Row['flow'] = null;
  const thumbInputs = await thumbnailInputs(files, model.preprocess);
  // (f)'s entries, left by a first pass (as the embed job's first pass leaves them), in a folder of their own.
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'winnow-bench-input-cache-'));
  let cacheInputs: CachedInput[] | null = null;
  if (inputCacheEligible(model.preprocess)) {
    const first = files.map((file, i) => cachedInput(cacheDir, model.preprocess, i, file, thumbInputs[i], thumbInputs[i] === file)!);
    await pool.preprocessMany(first);
    cacheInputs = files.map((file, i) => cachedInput(cacheDir, model.preprocess, i, file, thumbInputs[i], thumbInputs[i] === file)!);
    if (!cacheInputs.every((input) => input.fresh)) throw new Error('the first pass left no cache entries');
  }
  // CPU time, not wall time: on a shared machine another process's load stretches wall time but not the
  // CPU an image costs, so these stay comparable while the rates above swing with the load.
  const cpuMsPerImage = async (count: number, work: () => Promise<unknown>) => {
    const before = process.cpuUsage();
    await work();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000 / count;
  };
  const sequentialMs = async (inputs: PreprocessInput[]) => {
    await preprocessImage(inputs[0], model.preprocess); // warm-up: sharp and the code paths load once
    return cpuMsPerImage(inputs.length, async () => {
      for (const input of inputs) await preprocessImage(input, model.preprocess);
    });
  };
  // The same pixels as an upright JPEG and as one tagged EXIF orientation 6 (how phones store portrait shots):
  // a rotated photo must be shrunk on load like an upright one (preprocess.ts).
  const reencoded = (orientation: number) => Promise.all(files.slice(0, 32).map((file) => sharp(file).withMetadata({ orientation }).jpeg({ quality: 88 }).toBuffer()));
  const decodeMs = {
    original: await sequentialMs(files),
    thumbnail: await sequentialMs(thumbInputs),
    cache: cacheInputs ? await sequentialMs(cacheInputs) : null,
    upright: await sequentialMs(await reencoded(1)),
    rotated: await sequentialMs(await reencoded(6)),
  };
  let ortMs = 0;
  const rss: [number, number, number] = [0, 0, 0];
  try {
    // Ready tensors for (a): every image preprocessed up front, so only inference is timed.
    const tensors: Float32Array[] = [];
    for (let i = 0; i < files.length; i += batch) tensors.push((await preprocessBatch(files.slice(i, i + batch), model.preprocess)).data);
    await model.embedImages(tensors[0], tensors[0].length / length, ROWS_ONLY); // warm-up: the first run sizes the arena
    await pool.preprocessMany(files.slice(0, pool.size * 2)); // warm-up: workers load sharp and the spec
    // ORT's CPU per image, all its threads together.
    ortMs = await cpuMsPerImage(files.length, async () => {
      for (const tensor of tensors) await model.embedImages(tensor, tensor.length / length, ROWS_ONLY);
    });
    for (let round = 0; round < ROUNDS; round++) {
      // (a) ONNX Runtime alone.
      const a = await measured(async () => {
        for (const tensor of tensors) await model.embedImages(tensor, tensor.length / length, ROWS_ONLY);
      });
      // (d) The decode side alone: the pool turning files into tensors with nothing else running.
      const d = await measured(async () => {
        for (let i = 0; i < files.length; i += batch) await pool.preprocessMany(files.slice(i, i + batch));
      });
      // (b) The pipeline as the embed job runs it.
      let inferenceMs = 0;
      const b = await measured(async () => {
        let embedded = 0;
        for await (const out of embedImageFiles(model, files, { pool, batchSize: batch, ...ROWS_ONLY })) {
          embedded += out.indexes.length;
          inferenceMs += out.inferenceMs;
        }
        return embedded;
      });
      if (b.result !== files.length) throw new Error(`pipeline embedded ${b.result} of ${files.length}`);
      // (e) The pipeline fed as the embed job feeds it when thumbnails are cached.
      const e = await measured(async () => {
        for await (const _ of embedImageFiles(model, thumbInputs, { pool, batchSize: batch, ...ROWS_ONLY }));
      });
      // (f) A later pass through the model-input cache.
      const f = cacheInputs ? await measured(async () => {
        for await (const _ of embedImageFiles(model, cacheInputs!, { pool, batchSize: batch, ...ROWS_ONLY }));
      }) : null;
      // (c) Naive: one image at a time, decode then infer, on the main thread.
      const c = await measured(async () => {
        for (const file of files) await model.embedImages((await preprocessImage(file, model.preprocess)).data, 1, ROWS_ONLY);
      });
      const rate = (m: { seconds: number }) => files.length / m.seconds;
      process.stderr.write(`  round ${round + 1}: a ${rate(a).toFixed(1)}  b ${rate(b).toFixed(1)}  c ${rate(c).toFixed(1)}  d ${rate(d).toFixed(1)}  e ${rate(e).toFixed(1)}  f ${f ? rate(f).toFixed(1) : '—'} img/s (load ${os.loadavg()[0].toFixed(1)})\n`);
      for (const [key, m] of Object.entries({ a, b, c, d, e, f })) if (m) cpu[key as keyof typeof cpu] = Math.min(cpu[key as keyof typeof cpu], m.cpuMs / files.length);
      for (const [key, m] of Object.entries({ a, b, e, f })) if (m) ortShare[key as keyof typeof ortShare].push(m.ortShare);
      // (g) What a user gets, in the same round: import → input pass → first embed job, and the embed job with the cache off.
      if (importDir) {
        const cached = await importThenEmbed(importDir, files.length, true, () => ortCpuUs);
        const plain = await importThenEmbed(importDir, files.length, false, () => ortCpuUs);
        ortShare.g.push(cached.embed.ortShare);
        process.stderr.write(`    import then embed: inputs ${cached.inputs!.seconds.toFixed(2)} s + embed ${cached.embed.seconds.toFixed(2)} s; cache off: embed ${plain.embed.seconds.toFixed(2)} s\n`);
        if (!flow || cached.embed.seconds < flow.cached.embed.seconds) flow = { cached, plain, ortRate: rate(a) };
      }
      best.e = Math.max(best.e, rate(e));
      if (f) best.f = Math.max(best.f, rate(f));
      best.a = Math.max(best.a, rate(a));
      best.d = Math.max(best.d, rate(d));
      best.c = Math.max(best.c, rate(c));
      if (rate(b) > best.b) {
        best.b = rate(b);
        best.busy = inferenceMs / 1000 / b.seconds;
      }
      [a, b, c].forEach((m, i) => (rss[i] = Math.max(rss[i], m.peakRss)));
    }
    return {
      model: label,
      images: files.length,
      batch,
      poolSize: pool.size,
      poolMode: pool.mode,
      ceiling: best.a,
      fromCache: cacheInputs ? best.f : null,
      decodeMs,
      ortMs,
      pipeline: best.b,
      fromThumbs: best.e,
      thumbsUsed: thumbInputs.filter((f, i) => f !== files[i]).length,
      naive: best.c,
      decode: best.d,
      inferenceBusy: best.busy,
      rss,
      cpu,
      ortShare,
      flow,
    };
  } finally {
    await pool.close();
    await model.dispose();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

function vitB32Folder(): string | undefined {
  const folder = path.join(CACHE, 'vit-b32');
  if (existsSync(path.join(folder, '.complete'))) return folder;
  const python = process.env.PYTHON ?? '/usr/bin/python3';
  process.stderr.write(`building a random-weight ViT-B/32 CLIP graph in ${folder} (once; needs ${python} with torch)…\n`);
  try {
    execFileSync(python, [path.join(ROOT, 'bench', 'make-vit-b32.py'), folder, BUILTIN], { stdio: ['ignore', 'ignore', 'inherit'] });
    return folder;
  } catch (error) {
    process.stderr.write(`skipping ViT-B/32: ${(error as Error).message}\n`);
    return undefined;
  }
}

function table(rows: Row[]): string {
  const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)}`;
  const header = ['model', 'images', 'batch', 'pool', '(a) ORT img/s', '(b) pipeline img/s', '(c) naive img/s', '(d) decode-only img/s', '(e) from thumbnails img/s (used)', '(f) from input cache img/s', 'b/a', 'e/a', 'f/a', 'b/c', 'infer busy in (b)', 'peak RSS MB a/b/c'];
  const body = rows.map((r) => [
    r.model, String(r.images), String(r.batch), `${r.poolSize} ${r.poolMode}`, r.ceiling.toFixed(1), r.pipeline.toFixed(1), r.naive.toFixed(1), r.decode.toFixed(1), `${r.fromThumbs.toFixed(1)} (${r.thumbsUsed}/${r.images})`, r.fromCache === null ? '—' : r.fromCache.toFixed(1),
    (r.pipeline / r.ceiling).toFixed(2), (r.fromThumbs / r.ceiling).toFixed(2), r.fromCache === null ? '—' : (r.fromCache / r.ceiling).toFixed(2), (r.pipeline / r.naive).toFixed(2), `${Math.round(r.inferenceBusy * 100)}%`, r.rss.map(mb).join('/'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** (g): a real project's import, input pass and first embed job against ORT alone in the same round. */
function flowTable(r: Row): string {
  const { cached, plain, ortRate } = r.flow!;
  const rate = (seconds: number) => r.images / seconds;
  const line = (name: string, seconds: number, cpuMs: number) =>
    `| ${name} | ${seconds.toFixed(2)} | ${rate(seconds).toFixed(0)} | ${cpuMs.toFixed(2)} | ${(rate(seconds) / ortRate).toFixed(2)} | ${(r.cpu.a / cpuMs).toFixed(2)} |`;
  const both = { seconds: cached.inputs!.seconds + cached.embed.seconds, cpu: cached.inputs!.cpuMsPerImage + cached.embed.cpuMsPerImage };
  return [
    `(g) ${r.model}, ${r.images} images, what a user gets: a project imports the folder, the input pass runs behind the import,`,
    'then the first embed job, its model loaded and run once (the fastest round by that job; "vs ORT" = its rate or CPU against (a) of the same round):',
    '| stage | s | img/s | CPU ms/img | vs ORT, wall | vs ORT, CPU |',
    '|---|---:|---:|---:|---:|---:|',
    `| (a) ORT alone | ${(r.images / ortRate).toFixed(2)} | ${ortRate.toFixed(0)} | ${r.cpu.a.toFixed(2)} | 1.00 | 1.00 |`,
    line('import (headers + sha256)', cached.import.seconds, cached.import.cpuMsPerImage),
    line('input pass behind the import', cached.inputs!.seconds, cached.inputs!.cpuMsPerImage),
    line('**first embed job** (reads the inputs)', cached.embed.seconds, cached.embed.cpuMsPerImage),
    line('input pass + first embed', both.seconds, both.cpu),
    line('embed job, cache off (decodes the files)', plain.embed.seconds, plain.embed.cpuMsPerImage),
    `The session's first run (made before each job, as (a) makes its warm-up; once per process): ${cached.firstRunCpuMs.toFixed(0)} CPU ms, ${(cached.firstRunCpuMs / r.images).toFixed(2)} ms per image of this job.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const load0 = os.loadavg()[0];
  const count = Number(process.env.BENCH_IMAGES ?? 384);
  const b32Count = Number(process.env.BENCH_B32_IMAGES ?? 64);
  await mkdir(CACHE, { recursive: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'winnow-bench-jpegs-'));
  try {
    process.stderr.write(`generating ${count} JPEGs (512–1024 px) in ${dir}…\n`);
    const files = await makeJpegs(dir, count);
    const rows: Row[] = [];
    process.stderr.write('winnow-clip-mini…\n');
    rows.push(await benchModel('winnow-clip-mini (64 px)', BUILTIN, files, process.env.BENCH_SKIP_IMPORT ? null : importFolder(files, dir)));
    const b32 = process.env.BENCH_SKIP_B32 ? undefined : vitB32Folder();
    if (b32) {
      process.stderr.write('ViT-B/32…\n');
      rows.push(await benchModel('ViT-B/32 random (224 px)', b32, files.slice(0, b32Count), null));
    }
    console.log(`\nImage embedding throughput — ${os.cpus()[0]?.model ?? 'cpu'}, ${os.availableParallelism()} cores, CPU provider, node ${process.version}; load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}\n`);
    console.log(table(rows));
    console.log('\nCPU per image, ms (process.cpuUsage: load-independent), and the ceiling it sets for the pipeline / ORT ratio');
    console.log('when decoding and inference share every core: ort / (ort + decode).');
    for (const r of rows) {
      const d = r.decodeMs;
      const bound = (decode: number) => (r.ortMs / (r.ortMs + decode)).toFixed(2);
      console.log(`  ${r.model}: ORT ${r.ortMs.toFixed(2)}; decode original ${d.original.toFixed(2)} (≤ ${bound(d.original)}), thumbnail ${d.thumbnail.toFixed(2)} (≤ ${bound(d.thumbnail)})` +
        (d.cache === null ? '' : `, cache entry ${d.cache.toFixed(2)} (≤ ${bound(d.cache)})`) +
        `; 32 re-encoded: upright ${d.upright.toFixed(2)}, EXIF-rotated ${d.rotated.toFixed(2)}`);
    }
    console.log('\nCPU per image of each timed method, ms (lowest over the rounds), and ORT\'s CPU over it: the pipeline / ORT ratio a');
    console.log('machine whose cores are all this process\'s would reach (wall ratios above swing with other processes\' load).');
    for (const r of rows) {
      const ratio = (ms: number) => (Number.isFinite(ms) ? `${ms.toFixed(2)} (${(r.cpu.a / ms).toFixed(2)})` : '—');
      console.log(`  ${r.model}: (a) ${r.cpu.a.toFixed(2)}  (b) ${ratio(r.cpu.b)}  (c) ${ratio(r.cpu.c)}  (d) ${ratio(r.cpu.d)}  (e) ${ratio(r.cpu.e)}  (f) ${ratio(r.cpu.f)}`);
    }
    console.log('\nShare of each method\'s CPU inside ORT\'s runs (median over the rounds), and over (a)\'s: the CPU ratio vs ORT alone');
    console.log('with the load\'s swing in ORT\'s own CPU between runs taken out (both shares come from the same kind of run).');
    for (const r of rows) {
      const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)];
      const a = median(r.ortShare.a);
      const share = (key: keyof Row['ortShare']) => {
        const value = r.ortShare[key].length ? median(r.ortShare[key]) : NaN;
        return Number.isFinite(value) && a > 0 ? `${value.toFixed(3)} (${(value / a).toFixed(2)})` : '—';
      };
      console.log(`  ${r.model}: (a) ${share('a')}  (b) ${share('b')}  (e) ${share('e')}  (f) ${share('f')}  (g) first embed job ${share('g')}`);
    }
    for (const r of rows.filter((row) => row.flow)) console.log(`\n${flowTable(r)}`);
    console.log(`\nBest of ${ROUNDS} interleaved rounds per method; peak RSS is the process's (workers included).`);
    console.log('(a) inference only on preprocessed tensors; (b) files → PreprocessPool → embedImageFiles; (c) decode + batch-1 inference, sequential;\n(d) the same pool preprocessing the files with no inference running (the decode side’s own ceiling);\n(e) as (b), fed with cached 320-px thumbnails where the rule allows (used = how many of the images);\n(f) as (b), a later pass through the model-input cache (inputs ≤ 128 px).');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
