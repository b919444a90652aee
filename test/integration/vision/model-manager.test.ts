import { cp, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError } from '../../../main/engine/vision/download';
import { INSTALL_RECORD, ModelManager } from '../../../main/engine/vision/model-manager';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';
import { folderFiles, startHubServer, type HubServer } from '../../fixtures/vision/hub-server';
import { startLoopbackProxy } from '../../fixtures/vision/loopback-proxy';

const REPO = 'winnow/winnow-clip-mini';
const COMMON = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
const GRAPHS = ['onnx/vision_model.onnx', 'onnx/text_model.onnx'];

let root: string;
let modelsDir: string;
let registryPath: string;
let hub: HubServer;

function manager(env: Record<string, string> = {}) {
  return new ModelManager({ modelsDir, registryPath, endpoint: hub.endpoint, env, retryDelayMs: 10 });
}

async function exists(file: string) {
  return stat(file).then(() => true, () => false);
}

describe('ModelManager against a loopback hub serving the built-in model', () => {
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'winnow-models-'));
    registryPath = path.join(root, 'registry.json');
    const file = (filePath: string) => ({ path: filePath, sha256: null, approxBytes: 1000 });
    await writeFile(
      registryPath,
      JSON.stringify({
        schemaVersion: 1,
        models: [
          { id: 'winnow-clip-mini', name: 'built-in', builtin: true, folder: 'winnow-clip-mini', task: 'clip', licence: 'Apache-2.0' },
          { id: 'mini-hub', name: 'mini over http', repo: REPO, revision: 'main', task: 'clip', licence: 'Apache-2.0', defaultDtype: 'fp32', files: { common: COMMON.map(file), fp32: GRAPHS.map(file) } },
        ],
      }),
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    modelsDir = await mkdtemp(path.join(root, 'models-'));
    hub = await startHubServer(REPO, folderFiles(BUILTIN_MODEL_DIR, [...COMMON, ...GRAPHS]));
  });
  afterEach(async () => {
    await hub.close();
  });

  it('lists the built-in model from the repository, installed, and registry models as downloadable', async () => {
    const listing = await manager().list();
    expect(listing.find((entry) => entry.id === 'winnow-clip-mini')).toMatchObject({ builtin: true, installed: true, installedDtypes: ['fp32'] });
    expect(listing.find((entry) => entry.id === 'mini-hub')).toMatchObject({ builtin: false, installed: false, offered: [{ dtype: 'fp32', approxBytes: 6000 }] });
  });

  it('pulls, verifies, validates and installs atomically; then removes', async () => {
    const progress: number[] = [];
    const result = await manager().pull('mini-hub', { onProgress: (p) => progress.push(p.fileIndex) });
    expect(result.report.ok).toBe(true);
    expect(result.report.clip).toMatchObject({ dim: 128, sequenceLength: 32, imageSize: [64, 64] });
    expect(result.files.every((file) => file.verification === 'etag')).toBe(true);
    expect(new Set(progress).size).toBe(COMMON.length + GRAPHS.length);
    const installed = path.join(modelsDir, 'mini-hub');
    // Buffer.equals: a deep toEqual over megabytes of bytes takes vitest tens of seconds.
    for (const file of [...COMMON, ...GRAPHS]) expect((await readFile(path.join(installed, file))).equals(await readFile(path.join(BUILTIN_MODEL_DIR, file)))).toBe(true);
    const record = JSON.parse(await readFile(path.join(installed, INSTALL_RECORD), 'utf8'));
    expect(record).toMatchObject({ id: 'mini-hub', source: { repo: REPO, revision: 'main' }, dtypes: ['fp32'] });
    expect(await readdir(path.join(modelsDir, '.partial'))).toEqual([]);
    expect((await manager().list()).find((entry) => entry.id === 'mini-hub')).toMatchObject({ installed: true, path: installed });
    await manager().remove('mini-hub');
    expect(await exists(installed)).toBe(false);
    await expect(manager().remove('winnow-clip-mini')).rejects.toThrow(/built in/);
  });

  it('resumes a graph whose connection dropped and still installs it', async () => {
    hub.faults.dropAfter = { 'onnx/vision_model.onnx': 1_000_000 };
    const result = await manager().pull('mini-hub');
    expect(result.files.find((file) => file.path.endsWith('vision_model.onnx'))?.resumed).toBe(true);
    expect(hub.requests.some((request) => request.url.endsWith('vision_model.onnx') && request.range)).toBe(true);
  });

  it('installs nothing when a file fails its checksum', async () => {
    hub.faults.corrupt = new Set(['onnx/text_model.onnx']);
    await expect(manager().pull('mini-hub')).rejects.toBeInstanceOf(ChecksumError);
    expect(await exists(path.join(modelsDir, 'mini-hub'))).toBe(false);
  });

  it('installs nothing when cancelled, and the next pull resumes', async () => {
    hub.faults.chunkDelayMs = { 'onnx/vision_model.onnx': 5 };
    const controller = new AbortController();
    const pull = manager().pull('mini-hub', {
      signal: controller.signal,
      onProgress: (p) => p.file === 'onnx/vision_model.onnx' && p.bytes > 200_000 && controller.abort(),
    });
    await expect(pull).rejects.toThrow(/abort/i);
    expect(await exists(path.join(modelsDir, 'mini-hub'))).toBe(false);
    expect(await exists(path.join(modelsDir, '.partial', 'mini-hub', 'onnx', 'vision_model.onnx.part'))).toBe(true);
    hub.faults.chunkDelayMs = {};
    const result = await manager().pull('mini-hub');
    expect(result.files.find((file) => file.path.endsWith('vision_model.onnx'))?.resumed).toBe(true);
  });

  it('pulls through the proxy named by HTTP_PROXY', async () => {
    const proxy = await startLoopbackProxy();
    try {
      await manager({ HTTP_PROXY: proxy.url }).pull('mini-hub');
      expect(proxy.targets).toContain(new URL(hub.endpoint).host);
    } finally {
      await proxy.close();
    }
  });

  it('imports a local folder after validating a copy, and rejects a broken one', async () => {
    const imported = await manager().import(BUILTIN_MODEL_DIR, { id: 'my-mini' });
    expect(imported.report.ok).toBe(true);
    expect(await exists(path.join(modelsDir, 'my-mini', 'onnx', 'vision_model.onnx'))).toBe(true);
    expect((await manager().list()).find((entry) => entry.id === 'my-mini')).toMatchObject({ installed: true, task: 'clip' });
    const broken = path.join(root, 'broken');
    await cp(BUILTIN_MODEL_DIR, broken, { recursive: true });
    await writeFile(path.join(broken, 'onnx', 'text_model.onnx'), 'not onnx');
    await expect(manager().import(broken)).rejects.toThrow(/not a usable model/);
    expect(await exists(path.join(modelsDir, 'broken'))).toBe(false);
    expect(await readdir(path.join(modelsDir, '.staging'))).toEqual([]);
  });

  it('resolves each id to what the full listing says of it, without listing every model', async () => {
    const models = manager();
    await models.import(BUILTIN_MODEL_DIR, { id: 'my-mini' });
    // A folder without an install record is not a model; a partial download is not one either.
    await cp(BUILTIN_MODEL_DIR, path.join(modelsDir, 'no-record'), { recursive: true });
    await cp(BUILTIN_MODEL_DIR, path.join(modelsDir, '.partial', 'my-mini'), { recursive: true });
    await writeFile(path.join(modelsDir, '.partial', 'my-mini', INSTALL_RECORD), '{}');
    const slow = async (id: string) => {
      const listing = (await models.list()).find((entry) => entry.id === id);
      if (!listing) return `unknown model '${id}'`;
      return listing.path ?? `model '${id}' is not installed; pull it first`;
    };
    const ids = ['winnow-clip-mini', 'mini-hub', 'my-mini', 'no-record', '.partial', '.staging', '../my-mini', 'my-mini/', 'nothing'];
    for (const id of ids) {
      const fast = await models.resolve(id).catch((error: Error) => error.message);
      expect({ id, answer: fast }).toEqual({ id, answer: await slow(id) });
    }
    expect(await models.resolve('my-mini')).toBe(path.join(modelsDir, 'my-mini'));
  });

  it('validates a folder into a report instead of throwing', async () => {
    const good = await manager().validate(BUILTIN_MODEL_DIR);
    expect(good).toMatchObject({ ok: true, task: 'clip', dtype: 'fp32', problems: [] });
    expect(good.graphs.map((graph) => graph.file)).toEqual(['onnx/vision_model.onnx', 'onnx/text_model.onnx']);
    expect(good.graphs[0].inputs[0]).toMatchObject({ name: 'pixel_values', type: 'float32' });
    const empty = await manager().validate(modelsDir);
    expect(empty.ok).toBe(false);
    expect(empty.problems[0]).toMatch(/not a recognised model layout/);
  });
});
