// S3-compatible object storage backend (AWS S3, MinIO, Ceph RGW, ...): s3://bucket/prefix. Files are streamed
// up with lib-storage's Upload (multipart past 8 MiB, parts in parallel). Object stores have no rename, so a
// commit uploads the attempt's files under `<name>/<attempt>/` and then writes `<name>/_COMMIT` naming the
// attempt. Readers only ever look at the attempt _COMMIT names. Who may write _COMMIT is decided so that
// it holds even on servers that ignore conditional writes (s3rver, older MinIO, some gateways): each
// attempt puts its own claim `<name>/_CLAIMS/<attempt>` (distinct keys, never overwritten) and lists the
// claims; only an attempt that sees its claim alone goes on (an earlier claim is always visible to a later
// list: S3 lists are read-after-write consistent), and it keeps its claim so later attempts back off. On
// contention every attempt withdraws, waits a random moment, and returns false once _COMMIT appears, or
// claims again. _COMMIT is still written with If-None-Match: * and read back, as a second guard.
// Endpoint and region: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL and AWS_REGION; credentials: the SDK's default chain.
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { ShardStorage } from './storage';

const COMMIT = '_COMMIT';
const CLAIMS = '_CLAIMS';
/** A claim older than this without a _COMMIT is from an attempt that died between claiming and committing. */
const STALE_CLAIM_MS = 120_000;
/** How long an attempt keeps contending before it gives up (the job is retried later). */
const CONTEND_MS = 60_000;

const missing = (err: unknown) => {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

export class S3Storage implements ShardStorage {
  private cache: string | null = null;
  private readonly opened = new Map<string, Promise<string>>();

  constructor(readonly location: string, private readonly client: S3Client, private readonly bucket: string, private readonly prefix: string) {}

  static fromUrl(location: string): S3Storage {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
    if (!m) throw new Error(`${location} is not s3://bucket/prefix`);
    const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    const client = new S3Client({ region: process.env.AWS_REGION ?? 'us-east-1', endpoint, forcePathStyle: Boolean(endpoint) });
    return new S3Storage(location, client, m[1], m[2].replace(/\/+$/, ''));
  }

  private key(name: string): string {
    if (name.split('/').some((p) => p === '..')) throw new Error(`storage name ${name} leaves ${this.location}`);
    return this.prefix ? `${this.prefix}/${name}` : name;
  }

  async stagingRoot(): Promise<string> {
    const dir = path.join(os.tmpdir(), 'winnow-s3-staging');
    await mkdir(dir, { recursive: true });
    return dir;
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
    }
  }

  async commit(name: string, localDir: string): Promise<boolean> {
    const attempt = randomUUID();
    const base = `${this.key(name)}/${attempt}`;
    try {
      // A retry after the commit succeeded uploads nothing.
      if (await this.committed(name)) return false;
      for (const file of await readdir(localDir)) {
        const local = path.join(localDir, file);
        // An empty file is put directly: a streamed Upload of zero bytes may store no object at all.
        if ((await stat(local)).size === 0) await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${base}/${file}`, Body: '' }));
        else await new Upload({ client: this.client, params: { Bucket: this.bucket, Key: `${base}/${file}`, Body: createReadStream(local) }, queueSize: 4, partSize: 8 * 1024 * 1024 }).done();
      }
      const won = await this.claim(name, attempt);
      if (!won) await this.deleteKeys(await this.keysUnder(`${base}/`));
      return won;
    } finally {
      await rm(localDir, { recursive: true, force: true });
    }
  }

  /** Decides whether `attempt` commits `name` (true: _COMMIT now names it) or another attempt did (false). */
  private async claim(name: string, attempt: string): Promise<boolean> {
    const claims = `${this.key(name)}/${CLAIMS}/`;
    const mine = `${claims}${attempt}`;
    const deadline = Date.now() + CONTEND_MS;
    for (;;) {
      if (await this.committed(name)) return false;
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: mine, Body: '' }));
      const live = await this.liveClaims(claims);
      if (live.length === 1 && live[0] === mine) return this.writeCommit(name, attempt);
      await this.deleteKeys([mine]);
      if (Date.now() > deadline) throw new Error(`${name}: gave up committing after ${CONTEND_MS / 1000} s of contention with other attempts`);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
    }
  }

  /** Claims under `prefix`, a stale one (its attempt died before committing) removed. */
  private async liveClaims(prefix: string): Promise<string[]> {
    const live: string[] = [];
    const stale: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        if (!o.Key) continue;
        (o.LastModified && Date.now() - o.LastModified.getTime() > STALE_CLAIM_MS ? stale : live).push(o.Key);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    if (stale.length) await this.deleteKeys(stale);
    return live;
  }

  private async writeCommit(name: string, attempt: string): Promise<boolean> {
    try {
      await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${this.key(name)}/${COMMIT}`, Body: attempt, IfNoneMatch: '*' }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 412 && status !== 409) throw err;
    }
    return (await this.attemptOf(name)) === attempt;
  }

  private async attemptOf(name: string): Promise<string | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.key(name)}/${COMMIT}` }));
      return (await res.Body!.transformToString()).trim();
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  }

  async committed(name: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: `${this.key(name)}/${COMMIT}` }));
      return true;
    } catch (err) {
      if (missing(err)) return false;
      throw err;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const names = new Set<string>();
    for (const key of await this.keysUnder(`${this.key(prefix)}/`)) {
      if (!key.endsWith(`/${COMMIT}`)) continue;
      const rel = key.slice((this.prefix ? this.prefix.length + 1 : 0)).slice(0, -COMMIT.length - 1);
      names.add(rel);
    }
    return [...names].sort();
  }

  /** Downloads the committed attempt of `name` into a local cache folder (streamed, once per attempt: a committed attempt never changes) and returns it. */
  async open(name: string): Promise<string> {
    const attempt = await this.attemptOf(name);
    if (!attempt) throw new Error(`${name} is not committed in ${this.location}`);
    const id = `${name}/${attempt}`;
    let dir = this.opened.get(id);
    if (!dir) {
      dir = this.download(name, attempt);
      this.opened.set(id, dir);
      dir.catch(() => this.opened.delete(id));
    }
    return dir;
  }

  /** One file of the committed attempt, cached beside (not inside) a whole download's folder (a committed attempt never changes). */
  async openFile(name: string, file: string): Promise<string> {
    const attempt = await this.attemptOf(name);
    if (!attempt) throw new Error(`${name} is not committed in ${this.location}`);
    const whole = this.opened.get(`${name}/${attempt}`);
    if (whole) return path.join(await whole, file);
    this.cache ??= await mkdtemp(path.join(os.tmpdir(), 'winnow-s3-cache-'));
    const dir = path.join(this.cache, name, `${attempt}.files`);
    const local = path.join(dir, file);
    if (await stat(local).then(() => true, () => false)) return local;
    await mkdir(dir, { recursive: true });
    const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.key(name)}/${attempt}/${file}` }));
    // Written beside and renamed: a reader never sees half a file.
    const tmp = `${local}.${randomUUID()}.part`;
    await pipeline(res.Body as Readable, createWriteStream(tmp));
    await rename(tmp, local);
    return local;
  }

  private async download(name: string, attempt: string): Promise<string> {
    this.cache ??= await mkdtemp(path.join(os.tmpdir(), 'winnow-s3-cache-'));
    const dir = path.join(this.cache, name, attempt);
    await mkdir(dir, { recursive: true });
    const base = `${this.key(name)}/${attempt}/`;
    for (const key of await this.keysUnder(base)) {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      await pipeline(res.Body as Readable, createWriteStream(path.join(dir, key.slice(base.length))));
    }
    return dir;
  }

  async writeJson(name: string, value: unknown): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(name), Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
  }

  async readJson<T>(name: string): Promise<T | null> {
    // shard.json lives inside the committed attempt: resolve `<shard>/shard.json` through _COMMIT.
    const parts = name.split('/');
    const file = parts.pop()!;
    const owner = parts.join('/');
    const attempt = owner ? await this.attemptOf(owner) : null;
    const key = attempt ? `${this.key(owner)}/${attempt}/${file}` : this.key(name);
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await res.Body!.transformToString()) as T;
    } catch (err) {
      if (missing(err)) return null;
      throw err;
    }
  }

  async remove(name: string): Promise<void> {
    await this.deleteKeys(await this.keysUnder(`${this.key(name)}/`));
  }
}
