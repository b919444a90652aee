// Graphs whose weights live in external-data files (`vision_model.onnx` + `vision_model.onnx_data`, as large
// Transformers.js exports ship them): a replica repository with them pulls, validates and embeds; a truncated
// or missing data file is reported by name, at pull time and when a project's job loads the model (where
// the failure is also recorded in the project's issues).
import { rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine';
import { ModelManager } from '../../../main/engine/vision/model-manager';
import { loadRegistry, type HubRegistryEntry } from '../../../main/engine/vision/model-registry';
import { generateScenes } from '../../../main/synthetic';
import { tempDir } from '../../fixtures/images';
import { folderFiles, startHubServer, type HubServer } from '../../fixtures/vision/hub-server';
import { writeReplica } from '../../fixtures/vision/replica/replica-folder';

let root: string;
let entry: HubRegistryEntry;
let registryPath: string;
const hubs: HubServer[] = [];

/** The registry's CLIP B/32 entry, its fp32 graphs with external data (same repo layout, one extra file each). */
async function externalEntry(): Promise<HubRegistryEntry> {
  const real = (await loadRegistry()).models.find((m) => m.id === 'clip-vit-base-patch32') as HubRegistryEntry;
  const withData = real.files.fp32.flatMap((f) => [f, { path: `${f.path}_data`, sha256: null, approxBytes: f.approxBytes }]);
  return { ...real, id: 'clip-external', repo: 'replica/clip-external', files: { common: real.files.common, fp32: withData } };
}

async function serve(breakIt?: (folder: string) => Promise<void>): Promise<HubServer> {
  const folder = await tempDir();
  const files = await writeReplica(entry, folder);
  await breakIt?.(folder);
  const hub = await startHubServer(entry.repo, folderFiles(folder, files));
  hubs.push(hub);
  return hub;
}

const manager = (modelsDir: string, hub: HubServer) => new ModelManager({ modelsDir, registryPath, endpoint: hub.endpoint, env: {}, retryDelayMs: 10, retries: 0 });

beforeAll(async () => {
  root = await tempDir();
  entry = await externalEntry();
  registryPath = path.join(root, 'registry.json');
  await writeFile(registryPath, JSON.stringify({ schemaVersion: 1, models: [entry] }));
}, 60_000);

afterAll(async () => {
  await Promise.all(hubs.map((h) => h.close()));
});

describe('external-data graphs', () => {
  it('pull and validate (one smoke embedding) with the weights read from the .onnx_data files', async () => {
    const modelsDir = await tempDir();
    const result = await manager(modelsDir, await serve()).pull('clip-external', { dtype: 'fp32' });
    expect(result.files.map((f) => path.relative(result.path, f.path)).sort()).toContain('onnx/vision_model.onnx_data');
    expect(result.report).toMatchObject({ ok: true, dtype: 'fp32', clip: { dim: 8 } });
    expect(result.report.graphs.map((g) => g.file)).toEqual(['onnx/vision_model.onnx', 'onnx/text_model.onnx']);
  });

  it('a repository with a truncated data file fails validation naming the file, and nothing is installed', async () => {
    const modelsDir = await tempDir();
    const hub = await serve((folder) => truncate(path.join(folder, 'onnx/text_model.onnx_data'), 1000));
    await expect(manager(modelsDir, hub).pull('clip-external', { dtype: 'fp32' })).rejects.toThrow(/failed validation: .*onnx\/text_model\.onnx.*text_model\.onnx_data is truncated: 1000 bytes/);
    await expect(new ModelManager({ modelsDir, registryPath }).resolve('clip-external')).rejects.toThrow(/not installed/);
  });

  it('an installed model whose data file went missing fails the embed job with that reason, recorded as an issue', async () => {
    const home = await tempDir();
    const modelsDir = path.join(home, 'models');
    const installed = await manager(modelsDir, await serve()).pull('clip-external', { dtype: 'fp32' });
    // The text graph's embedding table is what its data file holds (the tiny vision weights stay inline, as onnx keeps tensors under 1 KiB).
    await rm(path.join(installed.path, 'onnx/text_model.onnx_data'));
    const data = await tempDir();
    for (const s of await generateScenes(2, { seed: 'external-data', width: 64, height: 64 })) await writeFile(path.join(data, `s${s.index}.jpg`), s.jpeg);
    const saved = { home: process.env.WINNOW_HOME, models: process.env.WINNOW_MODELS_DIR };
    process.env.WINNOW_HOME = home;
    process.env.WINNOW_MODELS_DIR = modelsDir;
    const engine = new Engine('cli');
    try {
      const project = await engine.createProject(path.join(home, 'p'));
      await project.jobs.wait((await engine.addSource(data)).jobId);
      const job = await project.jobs.wait(engine.embed('clip-external'));
      expect(job.state).toBe('failed');
      expect(job.error).toMatch(/text_model\.onnx keeps its weights in text_model\.onnx_data, which is missing/);
      const issues = project.issues.list(0, 50);
      expect(issues.find((i) => i.kind === 'job_failed')?.message).toMatch(/text_model\.onnx_data, which is missing/);
    } finally {
      await engine.close();
      process.env.WINNOW_HOME = saved.home;
      process.env.WINNOW_MODELS_DIR = saved.models;
    }
  });
});
