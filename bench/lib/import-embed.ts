// What a user gets: a real project imports a folder, the import-time input pass runs behind it (inputs-job.ts),
// then the first embed job runs; and the same with the model-input cache turned off (the embed job decodes the
// files). Wall seconds and CPU per image (process.cpuUsage: worker threads included) for each stage.
import { linkSync, mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../main/engine/engine';
import { defaultBatchSize } from '../../main/engine/vision/embed-files';
import { INPUTS_JOB } from '../../main/engine/vision/input-pass';

export interface Stage {
  seconds: number;
  cpuMsPerImage: number;
  /** The part of the stage's CPU inside ORT's runs, when the caller counts them (`ortCpuUs`). */
  ortShare: number;
}

export interface ImportEmbed {
  import: Stage;
  /** The import-time input pass (absent with the cache off). */
  inputs: Stage | null;
  embed: Stage;
  /** CPU of the vision session's first run (a zero batch at the job's batch size), made before the job as (a) makes its warm-up. */
  firstRunCpuMs: number;
}

/** The files hard-linked into a folder of their own (the bench's folder also holds thumbnails). */
export function importFolder(files: string[], dir: string): string {
  const folder = path.join(dir, 'import');
  mkdirSync(folder, { recursive: true });
  for (const file of files) linkSync(file, path.join(folder, path.basename(file)));
  return folder;
}

async function stage(images: number, work: () => Promise<unknown>, ortCpuUs: () => number): Promise<Stage> {
  const cpu = process.cpuUsage();
  const ortBefore = ortCpuUs();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  return { seconds: (performance.now() - started) / 1000, cpuMsPerImage: (used.user + used.system) / 1000 / images, ortShare: (ortCpuUs() - ortBefore) / (used.user + used.system) };
}

/** Import `folder` into a fresh project, then embed with the built-in model; `cache` true asks for the input pass (WINNOW_INPUT_PASS=1), false sets WINNOW_INPUT_CACHE=0. */
export async function importThenEmbed(folder: string, images: number, cache: boolean, ortCpuUs: () => number = () => 0): Promise<ImportEmbed> {
  const home = await mkdtemp(path.join(os.tmpdir(), 'winnow-bench-import-embed-'));
  const saved = { home: process.env.WINNOW_HOME, cache: process.env.WINNOW_INPUT_CACHE, pass: process.env.WINNOW_INPUT_PASS };
  process.env.WINNOW_HOME = home;
  if (!cache) process.env.WINNOW_INPUT_CACHE = '0';
  else process.env.WINNOW_INPUT_PASS = '1';
  const engine = new Engine('cli');
  try {
    const project = await engine.createProject(path.join(home, 'project'));
    // The model is loaded and its session run once before timing, as (a) has it: a session's first run at a batch size
    // costs ~4× a later one (ORT sizing its buffers: ~75 CPU-ms for the built-in model at 32, whatever the session
    // options), once per process, which would otherwise be charged to this job's ~400 images.
    const { model } = await engine.active.get();
    const batch = defaultBatchSize(model);
    const first = process.cpuUsage();
    await model.embedImages(new Float32Array(batch * model.imageTensorLength), batch, { patches: false });
    const firstUsed = process.cpuUsage(first);
    let importId = 0;
    const imported = await stage(images, async () => {
      importId = (await engine.addSource(folder)).jobId;
      const job = await project.jobs.wait(importId);
      if (job.state !== 'done') throw new Error(`import ended ${job.state}: ${job.error}`);
    }, ortCpuUs);
    const inputsJob = project.jobs.list().find((job) => job.kind === INPUTS_JOB);
    if (cache !== (inputsJob !== undefined)) throw new Error(cache ? 'the import queued no input pass' : 'an input pass ran with the cache off');
    const inputs = inputsJob ? await stage(images, () => project.jobs.wait(inputsJob.id), ortCpuUs) : null;
    const embed = await stage(images, async () => {
      const job = await project.jobs.wait(engine.embed());
      if (job.state !== 'done' || job.done !== images) throw new Error(`embed ended ${job.state} after ${job.done} of ${images}`);
    }, ortCpuUs);
    return { import: imported, inputs, embed, firstRunCpuMs: (firstUsed.user + firstUsed.system) / 1000 };
  } finally {
    await engine.close();
    process.env.WINNOW_HOME = saved.home;
    if (saved.cache === undefined) delete process.env.WINNOW_INPUT_CACHE;
    else process.env.WINNOW_INPUT_CACHE = saved.cache;
    if (saved.pass === undefined) delete process.env.WINNOW_INPUT_PASS;
    else process.env.WINNOW_INPUT_PASS = saved.pass;
    await rm(home, { recursive: true, force: true });
  }
}
