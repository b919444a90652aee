import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelInfoT, ModelJobT, ValidationReportT } from '../../../main/api/methods/models';
import { type Dispatch, createDispatch } from '../../../main/api/handlers';
import { Engine } from '../../../main/engine/engine';
import { winnowSpawn } from '../../fixtures/cli';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';
import { folderFiles, startHubServer, type HubServer } from '../../fixtures/vision/hub-server';

// The registry's MobileCLIP S0 entry, served by a loopback hub with the built-in model's bytes in
// the hub's URL layout: a real registry entry, a real pull path, no network.
const MODEL = 'mobileclip-s0';
const REPO = 'Xenova/mobileclip_s0';
const FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'];

let root: string;
let hub: HubServer;
let engine: Engine;
let call: Dispatch;
const saved = { home: process.env.WINNOW_HOME, models: process.env.WINNOW_MODELS_DIR, hf: process.env.HF_ENDPOINT };

/** The CLI run asynchronously: the loopback hub lives in this process and must keep serving. */
function winnow(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = winnowSpawn(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const exists = (file: string) => stat(file).then(() => true, () => false);

describe('models.* over the API and the CLI against a loopback hub', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'winnow-models-api-'));
    hub = await startHubServer(REPO, folderFiles(BUILTIN_MODEL_DIR, FILES), { chunkDelayMs: { 'onnx/vision_model.onnx': 2 } });
    process.env.WINNOW_HOME = path.join(root, 'home');
    process.env.WINNOW_MODELS_DIR = path.join(root, 'models');
    process.env.HF_ENDPOINT = hub.endpoint;
    engine = new Engine('cli');
    call = createDispatch(engine);
  });
  afterAll(async () => {
    await engine?.close();
    await hub?.close();
    for (const [key, value] of [['WINNOW_HOME', saved.home], ['WINNOW_MODELS_DIR', saved.models], ['HF_ENDPOINT', saved.hf]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await rm(root, { recursive: true, force: true });
  });

  it('lists, pulls as a job with byte progress, validates, refuses bad input and removes', async () => {
    const before = (await call('models.list', {})) as ModelInfoT[];
    expect(before.find((m) => m.id === 'winnow-clip-mini')).toMatchObject({ builtin: true, installed: true, licence: 'Apache-2.0', task: 'clip' });
    expect(before.find((m) => m.id === 'winnow-clip-mini')!.installedDtypes[0]).toMatchObject({ dtype: 'fp32' });
    expect(before.find((m) => m.id === MODEL)).toMatchObject({ builtin: false, installed: false, path: null, repo: REPO });

    await expect(call('models.pull', { id: '../etc' })).rejects.toMatchObject({ code: 'bad_input' });
    await expect(call('models.pull', { id: MODEL, dtype: 'fp32', extra: 1 })).rejects.toMatchObject({ code: 'bad_input' });
    await expect(call('models.pull', { id: 'no-such-model' })).rejects.toMatchObject({ code: 'not_found' });
    await expect(call('models.pull', { id: MODEL, dtype: 'fp8' })).rejects.toMatchObject({ code: 'not_found' });

    const events: ModelJobT[] = [];
    const off = engine.events.on('models.job', (job) => events.push(job));
    const job = (await call('models.pull', { id: MODEL })) as ModelJobT;
    expect(job).toMatchObject({ kind: 'model.pull', state: 'running' });
    // A second request while it runs joins the same job.
    expect(((await call('models.pull', { id: MODEL })) as ModelJobT).id).toBe(job.id);
    expect(((await call('models.list', {})) as ModelInfoT[]).find((m) => m.id === MODEL)!.pullJobId).toBe(job.id);
    const { job: finished } = await engine.modelJobs.wait(job.id);
    off();
    expect(finished.state).toBe('done');
    const sizes = await Promise.all(FILES.map((file) => stat(path.join(BUILTIN_MODEL_DIR, file)).then((s) => s.size)));
    const totalBytes = sizes.reduce((a, b) => a + b, 0);
    expect(finished).toMatchObject({ done: totalBytes, total: totalBytes });
    const running = events.filter((e) => e.state === 'running' && e.done > 0);
    expect(running.length).toBeGreaterThan(1);
    expect(running.every((e, i) => i === 0 || e.done >= running[i - 1].done)).toBe(true);
    expect(((await call('models.jobs', {})) as ModelJobT[])[0]).toMatchObject({ id: job.id, state: 'done' });

    const listed = ((await call('models.list', {})) as ModelInfoT[]).find((m) => m.id === MODEL)!;
    expect(listed).toMatchObject({ installed: true, path: path.join(root, 'models', MODEL), pullJobId: null });
    expect(listed.installedDtypes).toEqual([{ dtype: 'fp32', bytes: sizes[4] + sizes[5] }]);

    const report = (await call('models.validate', { id: MODEL })) as ValidationReportT;
    expect(report).toMatchObject({ ok: true, task: 'clip', dtype: 'fp32', problems: [] });
    expect(report.graphs.map((g) => g.file).sort()).toEqual(['onnx/text_model.onnx', 'onnx/vision_model.onnx']);
    expect(report.graphs.find((g) => g.file.includes('vision'))!.inputs[0]).toMatchObject({ name: 'pixel_values', type: 'float32' });
    expect(report.clip).toMatchObject({ dim: 128, imageSize: [64, 64] });

    await expect(call('models.remove', { id: 'winnow-clip-mini' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(call('models.validate', { id: 'clip-vit-base-patch32' })).rejects.toMatchObject({ code: 'not_found' });
    expect(await call('models.remove', { id: MODEL })).toEqual({ id: MODEL, removed: true });
    expect(await exists(path.join(root, 'models', MODEL))).toBe(false);
    await expect(call('models.remove', { id: MODEL })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('imports a local folder under an id and cancels a pull', async () => {
    const imported = (await call('models.import', { path: BUILTIN_MODEL_DIR, id: 'my-mini' })) as { id: string; report: ValidationReportT };
    expect(imported).toMatchObject({ id: 'my-mini', report: { ok: true } });
    expect(((await call('models.list', {})) as ModelInfoT[]).find((m) => m.id === 'my-mini')).toMatchObject({ installed: true, builtin: false, task: 'clip' });
    await expect(call('models.import', { path: BUILTIN_MODEL_DIR, id: 'my-mini' })).rejects.toMatchObject({ code: 'conflict' });
    await expect(call('models.import', { path: path.join(root, 'nowhere') })).rejects.toMatchObject({ code: 'not_found' });
    await call('models.remove', { id: 'my-mini' });

    hub.faults.chunkDelayMs = { 'onnx/vision_model.onnx': 50 };
    const job = (await call('models.pull', { id: MODEL })) as ModelJobT;
    await new Promise((resolve) => setTimeout(resolve, 300));
    await call('models.cancel', { jobId: job.id });
    const { job: cancelled } = await engine.modelJobs.wait(job.id);
    expect(cancelled.state).toBe('cancelled');
    expect(await exists(path.join(root, 'models', MODEL))).toBe(false);
    hub.faults.chunkDelayMs = {};
  });

  it('winnow models list | pull | validate | rm from the command line', async () => {
    const env = { WINNOW_HOME: path.join(root, 'cli-home'), WINNOW_MODELS_DIR: path.join(root, 'cli-models'), HF_ENDPOINT: hub.endpoint };
    const pull = await winnow(['models', 'pull', MODEL, '--dtype', 'fp32'], env);
    expect(pull.stderr).toMatch(/Pull mobileclip-s0.*100%.*MB/);
    expect(pull.stdout).toMatch(/mobileclip-s0 \(fp32\) installed in .*cli-models.*6 files/);
    expect(pull.code).toBe(0);
    const list = await winnow(['models', 'list', '--json'], env);
    expect((JSON.parse(list.stdout) as ModelInfoT[]).find((m) => m.id === MODEL)).toMatchObject({ installed: true });
    const validate = await winnow(['models', 'validate', MODEL], env);
    expect(validate.code).toBe(0);
    expect(validate.stdout).toMatch(/✔ mobileclip-s0 \(clip, fp32\)[\s\S]*pixel_values float32\[batch_size,3,64,64\]/);
    const removed = await winnow(['models', 'rm', MODEL, '--json'], env);
    expect(JSON.parse(removed.stdout)).toEqual({ id: MODEL, removed: true });
    const builtin = await winnow(['models', 'rm', 'winnow-clip-mini'], env);
    expect(builtin.code).toBe(1);
    expect(builtin.stderr).toMatch(/built in/);
  });
});
