// The merge's SemDeDup steps as queue jobs served by real `winnow worker` processes on a real Redis: on a
// planted set the distributed groups equal the in-process SemDeDup groups and brute force, each step's
// output is committed once (a retried merge reuses them), and a whole `cluster run` with method semdedup
// equals the single-process run. And BullMQ's rate limiter (`winnow worker --rate`) spaces job starts.
import type { ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import S3rver from 's3rver';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, PREFIX, QUEUE_NAME } from '../../../main/cluster/connection';
import { mergeJobId, shardJobId } from '../../../main/cluster/jobs';
import { distributedSemDedup } from '../../../main/cluster/semdedup';
import { runIdOf } from '../../../main/cluster/submit';
import { ScalePlan } from '../../../main/domain/scale';
import { NpyWriter } from '../../../main/engine/export/npy';
import { joinPairs, semanticGroups } from '../../../main/engine/scale/dedup-step';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { mergeShards, type MergeResult } from '../../../main/engine/scale/merge';
import { NpyRows } from '../../../main/engine/scale/npy-rows';
import { S3Storage } from '../../../main/engine/scale/s3-storage';
import { runShard } from '../../../main/engine/scale/shard-run';
import { loadShardModel } from '../../../main/engine/scale/shard-model';
import { planUnits, shardOf } from '../../../main/engine/scale/units';
import { winnowRun, winnowSpawn } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';
import { hasRedis, startRedis, type RedisServer } from '../../fixtures/redis';
import { scalePlan, writeScaleDataset, type ScaleDataset } from '../../fixtures/scale';

interface RunningWorker { name: string; child: ChildProcess; log: string }

let dir: string;
let data: ScaleDataset;
const servers: RedisServer[] = [];
const workers: RunningWorker[] = [];

function startWorker(url: string, name: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): RunningWorker {
  // A long lock: nothing here kills a worker, and a model load blocking a loaded machine's event loop must not
  // make BullMQ hand a running step to a second worker (s3rver, unlike S3, can then lose a PUT racing a
  // DELETE of a sibling key: it prunes empty folders and answers a PUT before the file is written).
  const child = winnowSpawn(['worker', '--queue', url, '--lock-ms', '30000', '--name', name, ...extra], env);
  const w: RunningWorker = { name, child, log: '' };
  child.stdout!.on('data', (d) => (w.log += d));
  child.stderr!.on('data', (d) => (w.log += d));
  workers.push(w);
  return w;
}

async function waitFor(what: string, fn: () => boolean, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workers.map((w) => `--- ${w.name}\n${w.log}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Planted: 6 well-apart centres, 6 rows each (some nearly identical, the rest spread around the centre). */
async function plantedMatrix(file: string): Promise<NpyRows> {
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const unit = (v: number[]) => { const n = Math.hypot(...v); return Float32Array.from(v.map((x) => x / n)); };
  const dim = 16;
  const w = new NpyWriter(file, dim, 'float32');
  for (let c = 0; c < 6; c++) {
    const centre = Array.from({ length: dim }, rnd);
    for (let i = 0; i < 6; i++) {
      // Rows 0-1 and 2-3 of a centre are near-copies of one point; 4-5 are spread further out.
      const base = i < 4 ? Math.floor(i / 2) + 1 : i + 10;
      const jitter = i < 4 ? 0.01 : 0.25;
      let s = c * 100 + base;
      const prnd = () => ((s = (s * 69069 + 1) % 2 ** 31) / 2 ** 31) * 2 - 1;
      const point = centre.map((x) => x + 0.35 * prnd());
      w.append(unit(point.map((x) => x + jitter * rnd())));
    }
  }
  w.close();
  return new NpyRows(file);
}

function bruteGroups(src: NpyRows, threshold: number): number[][] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < src.rows; i++) for (let j = i + 1; j < src.rows; j++) {
    const x = src.read(i); const y = src.read(j);
    let s = 0; for (let d = 0; d < src.dim; d++) s += x[d] * y[d];
    if (s >= threshold) pairs.push([i, j]);
  }
  return joinPairs(src.rows, pairs);
}

const committedLines = (re: RegExp) => workers.flatMap((w) => w.log.split('\n').filter((l) => re.test(l)));

beforeAll(async () => {
  if (!hasRedis) return;
  dir = await tempDir('winnow-cluster-steps-');
  data = await writeScaleDataset(dir, { tars: 3, perTar: 4, manifestRows: 4 });
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  for (const s of servers) await s.stop();
});

describe.skipIf(!hasRedis)('SemDeDup as queue jobs', () => {
  let url: string;
  let s3: S3rver;
  const s3env: Record<string, string> = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  beforeAll(async () => {
    const redis = await startRedis();
    servers.push(redis);
    url = redis.url;
    // An S3-compatible server too, so the steps also run with their outputs in object storage.
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: path.join(dir, 's3'), configureBuckets: [{ name: 'bucket', configs: [] }] });
    s3env.AWS_ENDPOINT_URL_S3 = `http://127.0.0.1:${((await s3.run()) as AddressInfo).port}`;
    for (const name of ['s1', 's2']) startWorker(url, name, [], s3env);
    await waitFor('two workers', () => workers.every((w) => /serving/.test(w.log)));
  }, 180_000);
  afterAll(async () => { await s3?.close(); });

  it('centroid, per-cluster and join jobs on two worker processes give the in-process SemDeDup groups and brute force on a planted set; each output is committed once', async () => {
    const images = await plantedMatrix(path.join(dir, 'planted.npy'));
    const plan = ScalePlan.parse({ ...scalePlan(data, path.join(dir, 'planted-out')), dedup: { threshold: 0.97, method: 'semdedup', clusters: 6 } });
    const storage = new FsStorage(plan.output);
    const brute = bruteGroups(images, plan.dedup.threshold);
    const local = await semanticGroups(images, plan.dedup);
    const distributed = await distributedSemDedup(url, plan, storage)(images);
    expect(brute.length).toBeGreaterThanOrEqual(12);
    expect(local).toEqual(brute);
    expect(distributed).toEqual(local);

    const clusters = committedLines(/^committed semdedup\/\w+\/cluster \d+ /);
    expect(clusters).toHaveLength(6);
    expect(new Set(clusters.map((l) => /cluster (\d+)/.exec(l)![1])).size).toBe(6);
    expect(committedLines(/^committed semdedup\/\w+\/centroids /)).toHaveLength(1);
    // The per-cluster jobs ran on the worker processes (both served; which ones is BullMQ's choice).
    expect(clusters.every((l) => / on s[12]$/.test(l))).toBe(true);

    // A retried merge attaches to the finished jobs: nothing is computed or committed again.
    const before = workers.map((w) => w.log.length);
    expect(await distributedSemDedup(url, plan, storage)(images)).toEqual(local);
    expect(workers.map((w, i) => w.log.slice(before[i])).join('')).not.toMatch(/committed/);
    // Another threshold over the same matrix and output: its own steps, its own (brute-force) groups.
    const looser = ScalePlan.parse({ ...plan, dedup: { ...plan.dedup, threshold: 0.9 } });
    const loose = await distributedSemDedup(url, looser, storage)(images);
    expect(loose).toEqual(await semanticGroups(images, looser.dedup));
    expect(loose.flat().length).toBeGreaterThan(local.flat().length);
    images.close();
  }, 180_000);

  it('the same with the matrix and every step output in S3 (s3rver): equal groups, each cluster committed once', async () => {
    const saved = Object.fromEntries(Object.keys(s3env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, s3env);
    try {
      const images = new NpyRows(path.join(dir, 'planted.npy'));
      const plan = ScalePlan.parse({ ...scalePlan(data, 's3://bucket/planted'), dedup: { threshold: 0.97, method: 'semdedup', clusters: 6 } });
      const before = committedLines(/^committed semdedup\/\w+\/cluster \d+ /).length;
      const distributed = await distributedSemDedup(url, plan, S3Storage.fromUrl(plan.output))(images);
      expect(distributed).toEqual(await semanticGroups(images, plan.dedup));
      // Committed in the bucket: the matrix, the centroids, 6 clusters and the groups.
      const names = await S3Storage.fromUrl(plan.output).list('semdedup');
      expect(names.map((n) => n.split('/').slice(2).join('/')).sort()).toEqual(['centroids', ...Array.from({ length: 6 }, (_, c) => `clusters/00000${c}`), 'groups', 'matrix']);
      images.close();
      expect(committedLines(/^committed semdedup\/\w+\/cluster \d+ /).length).toBe(before + 6);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }, 180_000);

  it('a cluster run with method semdedup merges to the same rows and duplicate groups as the single-process run', async () => {
    const keysBefore = new Set(committedLines(/^committed semdedup\/\w+\//).map((l) => /semdedup\/(\w+)\//.exec(l)![1]));
    const dedup = { threshold: 0.9, method: 'semdedup' as const, clusters: 3 };
    const plan = ScalePlan.parse(scalePlan(data, path.join(dir, 'sem-cluster'), { dedup, batchSize: 4 }));
    const single = ScalePlan.parse({ ...plan, output: path.join(dir, 'sem-single') });
    const model = await loadShardModel(single.model);
    const storage = new FsStorage(single.output);
    await runShard(single, shardOf(await planUnits(single), { index: 0, count: 1 }), { storage, model });
    await model.model.dispose();
    const reference = await mergeShards(single, 1, storage);

    const file = path.join(dir, 'sem.plan.json');
    await writeFile(file, JSON.stringify(plan));
    const outcome = await winnowRun(['cluster', 'run', file, '--queue', url, '--shards', '3', '--json']);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = (JSON.parse(outcome.stdout) as { result: MergeResult }).result;
    expect(result).toMatchObject({ items: data.items, failed: [], duplicates: reference.duplicates });
    const dups = async (out: string) => ((await parquetReadObjects({ file: await asyncBufferFromFile(path.join(out, 'result', 'duplicates.parquet')) })) as Array<{ group: number; kind: string; key: string }>)
      .map((d) => `${d.group}:${d.kind}:${d.key}`);
    const expected = await dups(single.output);
    expect(expected.some((d) => d.includes(':semantic:'))).toBe(true);
    expect(await dups(plan.output)).toEqual(expected);
    // The run's merge ran its 3 clusters as jobs: 3 cluster outputs of a key not seen before this run.
    const newKeys = new Set(committedLines(/^committed semdedup\/\w+\/cluster \d+ /).map((l) => /semdedup\/(\w+)\/cluster (\d+)/.exec(l)!).filter((m) => !keysBefore.has(m[1])).map((m) => `${m[1]}/${m[2]}`));
    expect(newKeys.size, workers.map((w) => w.log).join('\n')).toBe(3);
    // The merge job carried the steps' progress (what `cluster run` prints): every cluster job done.
    const conn = connect(url);
    const queue = new Queue(QUEUE_NAME, { connection: conn, prefix: PREFIX });
    expect((await queue.getJob(mergeJobId(runIdOf(plan, 3))))!.progress).toEqual({ semdedup: { step: 'join', done: 3, total: 3 } });
    await queue.close();
    conn.disconnect();
  }, 300_000);
});

describe.skipIf(!hasRedis)('rate limit', () => {
  it('a worker started with --rate 2/s starts at most 2 jobs per 1 s window (job start times from BullMQ)', async () => {
    const redis = await startRedis();
    servers.push(redis);
    startWorker(redis.url, 'limited', ['--rate', '2/s']);
    await waitFor('the limited worker', () => /serving .*at most 2 job starts per 1 s/.test(workers.at(-1)!.log));
    // More shards than units: most are empty, so without the limiter they start ~100 ms apart.
    const plan = ScalePlan.parse(scalePlan(data, path.join(dir, 'rate')));
    const file = path.join(dir, 'rate.plan.json');
    await writeFile(file, JSON.stringify(plan));
    const count = 13;
    const outcome = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', String(count), '--json']);
    expect(outcome.code, outcome.stderr).toBe(0);
    const conn = connect(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: conn, prefix: PREFIX });
    const runId = runIdOf(plan, count);
    const ids = [...Array.from({ length: count }, (_, i) => shardJobId(runId, i)), mergeJobId(runId)];
    const starts = (await Promise.all(ids.map(async (id) => (await queue.getJob(id))!.processedOn!))).sort((a, b) => a - b);
    await queue.close();
    conn.disconnect();
    expect(starts).toHaveLength(count + 1);
    // At most 2 starts per 1 s window (BullMQ's windows are fixed): any 5 consecutive starts fall in 3 or more
    // windows, so a whole window lies between the first and the last; 14 starts span 7 windows, 5 whole ones.
    // Bounds at 95 % for clock jitter; without the limiter empty shards start ~100-250 ms apart.
    for (let i = 0; i + 4 < starts.length; i++) expect(starts[i + 4] - starts[i]).toBeGreaterThanOrEqual(950);
    expect(starts.at(-1)! - starts[0]).toBeGreaterThanOrEqual(4_750);
  }, 300_000);
});
