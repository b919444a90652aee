// The S3 backend against a local S3-compatible server (s3rver, on a free loopback port, data in a temp
// folder): streamed multipart upload of a file over the part size, commit once, list, open (download),
// JSON documents, remove; concurrent commits of one name (s3rver ignores If-None-Match, so the claim
// protocol alone decides); and a shard run + merge through it.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { S3Storage } from '../../../main/engine/scale/s3-storage';
import { tempDir } from '../../fixtures/images';

let server: S3rver;
let dir: string;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  dir = await tempDir('winnow-s3-');
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(dir, 'server'), configureBuckets: [{ name: 'bucket', configs: [] }] });
  const { port } = (await server.run()) as AddressInfo;
  for (const [k, v] of Object.entries({ AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' })) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
}, 60_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  await server?.close();
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('S3 storage backend (s3rver)', () => {
  it('commits a shard folder once (multipart for a big file), lists, opens and removes it', async () => {
    const storage = S3Storage.fromUrl('s3://bucket/runs/one');
    const stage = async (tag: string) => {
      const d = path.join(await storage.stagingRoot(), `${tag}-${Date.now()}`);
      await mkdir(d, { recursive: true });
      // 9 MiB + 3 bytes of varied bytes: over the 8 MiB part size, so lib-storage uploads it in parts.
      const big = Buffer.alloc(9 * 1024 * 1024 + 3);
      for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
      await writeFile(path.join(d, 'image.npy'), big);
      await writeFile(path.join(d, 'shard.json'), JSON.stringify({ tag }));
      return { d, big };
    };
    const first = await stage('first');
    expect(await storage.committed('shards/00000-of-00002')).toBe(false);
    expect(await storage.commit('shards/00000-of-00002', first.d)).toBe(true);
    const again = await stage('again');
    expect(await storage.commit('shards/00000-of-00002', again.d)).toBe(false);
    expect(await storage.committed('shards/00000-of-00002')).toBe(true);
    expect(await storage.list('shards')).toEqual(['shards/00000-of-00002']);
    const local = await storage.open('shards/00000-of-00002');
    expect(sha(await readFile(path.join(local, 'image.npy')))).toBe(sha(first.big));
    expect(await storage.readJson('shards/00000-of-00002/shard.json')).toEqual({ tag: 'first' });
    await storage.writeJson('failures/00001-of-00002.json', { reason: 'bad_archive: x' });
    expect(await storage.readJson('failures/00001-of-00002.json')).toEqual({ reason: 'bad_archive: x' });
    expect(await storage.readJson('failures/missing.json')).toBeNull();
    await storage.remove('shards/00000-of-00002');
    expect(await storage.committed('shards/00000-of-00002')).toBe(false);
    expect(await storage.list('shards')).toEqual([]);
  }, 120_000);

  it('racing commits of one shard (the server ignores If-None-Match): exactly one wins, only its files remain, and both agree who won', async () => {
    const storage = S3Storage.fromUrl('s3://bucket/runs/race');
    const stage = async (tag: string) => {
      const d = path.join(await storage.stagingRoot(), `${tag}-${Date.now()}-${Math.random()}`);
      await mkdir(d, { recursive: true });
      await writeFile(path.join(d, 'items.bin'), Buffer.alloc(64 * 1024, tag));
      await writeFile(path.join(d, 'shard.json'), JSON.stringify({ tag }));
      // An empty file (a cluster without pairs) is committed too.
      await writeFile(path.join(d, 'empty.bin'), '');
      return d;
    };
    const client = new S3Client({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true });
    for (let round = 0; round < 6; round++) {
      const name = `shards/${String(round).padStart(5, '0')}-of-00006`;
      const tags = ['a', 'b', 'c'].map((t) => `${t}${round}`);
      const dirs = await Promise.all(tags.map(stage));
      const won = await Promise.all(dirs.map((d) => storage.commit(name, d)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = tags[won.indexOf(true)];
      // Every caller's answer names the copy readers get.
      expect(await storage.readJson(`${name}/shard.json`)).toEqual({ tag: winner });
      expect((await readFile(path.join(await storage.open(name), 'items.bin'))).subarray(0, 4).toString()).toBe(winner.repeat(4).slice(0, 4));
      expect((await readFile(path.join(await storage.open(name), 'empty.bin'))).length).toBe(0);
      // One attempt's files left: _COMMIT, the winner's claim, and the winner's two files under one attempt folder.
      const keys = ((await client.send(new ListObjectsV2Command({ Bucket: 'bucket', Prefix: `runs/race/${name}/` }))).Contents ?? []).map((o) => o.Key!.slice(`runs/race/${name}/`.length));
      const attempts = new Set(keys.filter((k) => !k.startsWith('_')).map((k) => k.split('/')[0]));
      expect(attempts.size).toBe(1);
      expect(keys.filter((k) => !k.startsWith('_')).map((k) => k.split('/')[1]).sort()).toEqual(['empty.bin', 'items.bin', 'shard.json']);
      expect(keys.filter((k) => k.startsWith('_')).sort()).toEqual([`_CLAIMS/${[...attempts][0]}`, '_COMMIT']);
    }
    expect(await storage.list('shards')).toHaveLength(6);
    client.destroy();
  }, 120_000);
});
