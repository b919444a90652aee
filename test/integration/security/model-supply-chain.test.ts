// Issue 13 item 3 (pinned registry entries, models.lock.json, refusing unpinned files) and item 7 (HF_TOKEN never sent over
// plain http; `models import` does not copy symbolic links), against a loopback stand-in for the hub.
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError } from '../../../main/engine/vision/download';
import { MODEL_LOCK_FILE } from '../../../main/engine/vision/model-lock';
import { ModelManager } from '../../../main/engine/vision/model-manager';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';
import { folderFiles, startHubServer, type HubServer } from '../../fixtures/vision/hub-server';

const REPO = 'winnow/winnow-clip-mini';
const COMMON = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json'];
const GRAPHS = ['onnx/vision_model.onnx', 'onnx/text_model.onnx'];
const COMMIT = 'a'.repeat(40);

let root: string;
let modelsDir: string;
let hub: HubServer;
let hubAtCommit: HubServer;
let registryPath: string;

const sha = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

async function writeRegistry(pinnedHashes: boolean) {
  const entry = async (file: string) => ({ path: file, sha256: pinnedHashes ? await sha(path.join(BUILTIN_MODEL_DIR, file)) : null, approxBytes: 1000 });
  const files = { common: await Promise.all(COMMON.map(entry)), fp32: await Promise.all(GRAPHS.map(entry)) };
  await writeFile(registryPath, JSON.stringify({
    schemaVersion: 1,
    models: [
      { id: 'winnow-clip-mini', name: 'built-in', builtin: true, folder: 'winnow-clip-mini', task: 'clip', licence: 'Apache-2.0' },
      { id: 'floating', name: 'branch, no hashes', repo: REPO, revision: 'main', task: 'clip', licence: 'Apache-2.0', defaultDtype: 'fp32', files },
      { id: 'pinned', name: 'commit + hashes', repo: REPO, revision: COMMIT, task: 'clip', licence: 'Apache-2.0', defaultDtype: 'fp32', files },
    ],
  }));
}

function manager(options: { env?: Record<string, string>; requirePinned?: boolean; endpoint?: string } = {}) {
  return new ModelManager({ modelsDir, registryPath, endpoint: options.endpoint ?? hub.endpoint, env: options.env ?? {}, retryDelayMs: 10, requirePinned: options.requirePinned });
}

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'winnow-supply-'));
  modelsDir = path.join(root, 'models');
  registryPath = path.join(root, 'registry.json');
  const files = folderFiles(BUILTIN_MODEL_DIR, [...COMMON, ...GRAPHS]);
  hub = await startHubServer(REPO, files);
  hubAtCommit = await startHubServer(REPO, files, {}, COMMIT);
});
afterEach(async () => {
  await hub.close();
  await hubAtCommit.close();
  await rm(root, { recursive: true, force: true });
});

describe('model downloads', () => {
  it('says a file was checked against the registry only when the registry pins it, and records every download in the lock', async () => {
    await writeRegistry(true);
    const pinned = await manager({ endpoint: hubAtCommit.endpoint }).pull('pinned');
    expect(pinned.files.map((f) => f.verification)).toEqual(Array(6).fill('registry'));
    const lock = JSON.parse(await readFile(path.join(modelsDir, MODEL_LOCK_FILE), 'utf8'));
    expect(lock.models.pinned.revision).toBe(COMMIT);
    expect(lock.models.pinned.files['onnx/text_model.onnx'].sha256).toBe(await sha(path.join(BUILTIN_MODEL_DIR, 'onnx/text_model.onnx')));
  });

  it('trusts the first download of an unpinned file, then holds later downloads and loads to the recorded hash', async () => {
    await writeRegistry(false);
    const first = await manager().pull('floating');
    expect(first.files.map((f) => f.verification)).toEqual(Array(6).fill('etag'));
    const lock = JSON.parse(await readFile(path.join(modelsDir, MODEL_LOCK_FILE), 'utf8'));
    expect(lock.models.floating.files['config.json']).toMatchObject({ firstVerifiedBy: 'etag', bytes: (await stat(path.join(BUILTIN_MODEL_DIR, 'config.json'))).size });
    await manager().remove('floating');
    // The branch moved (or the mirror lies): the server announces the new bytes' hash, but the lock remembers the old one.
    hub.faults.corrupt = new Set(['onnx/text_model.onnx']);
    const changed = manager().pull('floating');
    await expect(changed).rejects.toBeInstanceOf(ChecksumError);
    await expect(changed).rejects.toThrow(/recorded in models\.lock\.json/);
    hub.faults.corrupt = new Set();
    const again = await manager().pull('floating');
    expect(again.files.map((f) => f.verification)).toEqual(Array(6).fill('lock'));
    // A file changed on disk after install is caught before the model is loaded.
    expect(await manager().resolve('floating')).toBe(path.join(modelsDir, 'floating'));
    const config = path.join(modelsDir, 'floating', 'config.json');
    await writeFile(config, (await readFile(config, 'utf8')).replace('}', ' }'));
    await expect(manager().resolve('floating')).rejects.toThrow(/does not match models\.lock\.json/);
  });

  it('refuses unpinned files when asked to, before downloading anything', async () => {
    await writeRegistry(false);
    await expect(manager({ requirePinned: true }).pull('floating')).rejects.toThrow(/unpinned files are not allowed.*not a commit sha.*no sha256 in the registry/);
    await expect(manager({ env: { WINNOW_REQUIRE_PINNED: '1' } }).pull('floating')).rejects.toThrow(/unpinned/);
    expect(hub.requests).toEqual([]);
    await writeRegistry(true);
    expect((await manager({ requirePinned: true, endpoint: hubAtCommit.endpoint }).pull('pinned')).report.ok).toBe(true);
  });

  it('never sends HF_TOKEN to a plain-http endpoint', async () => {
    await writeRegistry(false);
    await expect(manager({ env: { HF_TOKEN: 'hf_secret' } }).pull('floating')).rejects.toThrow(/not https: refusing to send the token/);
    expect(hub.requests.filter((r) => r.authorization)).toEqual([]);
  });

  it('does not copy symbolic links out of an imported model folder', async () => {
    await writeRegistry(false);
    const folder = path.join(root, 'linked-model');
    await cp(BUILTIN_MODEL_DIR, folder, { recursive: true });
    const outside = path.join(root, 'private.txt');
    await writeFile(outside, 'private');
    await symlink(outside, path.join(folder, 'notes.txt'));
    await rm(path.join(folder, 'tokenizer.json'));
    await symlink(path.join(BUILTIN_MODEL_DIR, 'tokenizer.json'), path.join(folder, 'tokenizer.json'));
    await expect(manager().import(folder, { id: 'linked' })).rejects.toThrow(/symbolic links are not copied: (notes\.txt, tokenizer\.json|tokenizer\.json, notes\.txt)/);
    await rm(path.join(folder, 'tokenizer.json'));
    await cp(path.join(BUILTIN_MODEL_DIR, 'tokenizer.json'), path.join(folder, 'tokenizer.json'));
    const imported = await manager().import(folder, { id: 'linked' });
    expect(imported.report.ok).toBe(true);
    await expect(stat(path.join(modelsDir, 'linked', 'notes.txt'))).rejects.toThrow(/ENOENT/);
  });
});
