import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChecksumError, downloadFile, hubFileUrl } from '../../../main/engine/vision/download';
import { startHubServer, type HubServer } from '../../fixtures/vision/hub-server';
import { startLoopbackProxy, type LoopbackProxy } from '../../fixtures/vision/loopback-proxy';

const REPO = 'test-org/blobs';
const SIZE = 1_200_000;

let dir: string;
let blob: Buffer;
let blobSha: string;
let hub: HubServer;

async function exists(file: string) {
  return stat(file).then(() => true, () => false);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'winnow-download-'));
  blob = randomBytes(SIZE);
  blobSha = createHash('sha256').update(blob).digest('hex');
  await writeFile(path.join(dir, 'source.bin'), blob);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  hub = await startHubServer(REPO, { 'onnx/model.onnx': path.join(dir, 'source.bin') });
});
afterEach(async () => {
  await hub.close();
  await rm(path.join(dir, 'out.onnx'), { force: true });
  await rm(path.join(dir, 'out.onnx.part'), { force: true });
});

const url = () => hubFileUrl(REPO, 'main', 'onnx/model.onnx', {}, hub.endpoint);
const destination = () => path.join(dir, 'out.onnx');

describe('downloadFile', () => {
  it('follows the hub redirect and verifies against X-Linked-Etag', async () => {
    const progress: number[] = [];
    const file = await downloadFile({ url: url(), destination: destination(), env: {}, onProgress: (p) => progress.push(p.bytes) });
    expect(file).toMatchObject({ bytes: SIZE, sha256: blobSha, verification: 'etag', resumed: false });
    expect(progress.at(-1)).toBe(SIZE);
    expect(hub.requests.map((request) => request.url)).toEqual([`/${REPO}/resolve/main/onnx/model.onnx`, '/cdn/onnx/model.onnx']);
  });

  it('resumes with a Range request after the connection drops mid-file', async () => {
    hub.faults.dropAfter = { 'onnx/model.onnx': 400_000 };
    const file = await downloadFile({ url: url(), destination: destination(), env: {}, retryDelayMs: 10 });
    expect(file.resumed).toBe(true);
    expect(file.sha256).toBe(blobSha);
    const ranged = hub.requests.filter((request) => request.range);
    expect(ranged.length).toBeGreaterThan(0);
    const resumedAt = Number(/bytes=(\d+)-/.exec(ranged[0].range!)![1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThan(SIZE);
    expect(createHash('sha256').update(await readFile(destination())).digest('hex')).toBe(blobSha);
  });

  it('discards a corrupted transfer (sha256 mismatch) and leaves nothing behind', async () => {
    hub.faults.corrupt = new Set(['onnx/model.onnx']);
    await expect(downloadFile({ url: url(), destination: destination(), env: {} })).rejects.toBeInstanceOf(ChecksumError);
    expect(await exists(destination())).toBe(false);
    expect(await exists(`${destination()}.part`)).toBe(false);
  });

  it('prefers the registry checksum over the server one', async () => {
    const wrong = 'f'.repeat(64);
    await expect(downloadFile({ url: url(), destination: destination(), env: {}, expectedSha256: wrong })).rejects.toThrow(/expected f{64}/);
    const file = await downloadFile({ url: url(), destination: destination(), env: {}, expectedSha256: blobSha });
    expect(file.verification).toBe('registry');
  });

  it('cancels mid-download, keeps the partial file, and a later call resumes it', async () => {
    hub.faults.chunkDelayMs = { 'onnx/model.onnx': 5 };
    const controller = new AbortController();
    const pending = downloadFile({
      url: url(),
      destination: destination(),
      env: {},
      signal: controller.signal,
      onProgress: (p) => p.bytes > 100_000 && controller.abort(),
    });
    await expect(pending).rejects.toThrow(/abort/i);
    expect(await exists(destination())).toBe(false);
    const partial = (await stat(`${destination()}.part`)).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(SIZE);
    hub.faults.chunkDelayMs = {};
    const file = await downloadFile({ url: url(), destination: destination(), env: {} });
    expect(file).toMatchObject({ resumed: true, sha256: blobSha });
    expect(hub.requests.at(-1)?.range).toBe(`bytes=${partial}-`);
  });

  it('fails fast on a file the repository does not have', async () => {
    const missing = hubFileUrl(REPO, 'main', 'onnx/absent.onnx', {}, hub.endpoint);
    await expect(downloadFile({ url: missing, destination: destination(), env: {}, retryDelayMs: 10 })).rejects.toThrow(/HTTP 404 \(not in this repository\/revision\)/);
    expect(hub.requests).toHaveLength(1);
  });
});

describe('downloadFile through a proxy', () => {
  let proxy: LoopbackProxy;
  beforeEach(async () => {
    proxy = await startLoopbackProxy();
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('tunnels through HTTP_PROXY when set', async () => {
    const file = await downloadFile({ url: url(), destination: destination(), env: { HTTP_PROXY: proxy.url } });
    expect(file.sha256).toBe(blobSha);
    const hubHost = new URL(hub.endpoint).host;
    expect(proxy.targets.filter((target) => target === hubHost).length).toBeGreaterThan(0);
  });

  it('connects directly when NO_PROXY lists the host', async () => {
    const file = await downloadFile({ url: url(), destination: destination(), env: { HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1' } });
    expect(file.sha256).toBe(blobSha);
    expect(proxy.targets).toEqual([]);
  });
});
