// Cluster runs over BullMQ on a real Redis (Debian's redis-server, started here) with real worker
// processes (`winnow worker`): the merged result of a 3-worker run equals the single-process result
// even when a worker is killed -9 mid-shard; a corrupt tar fails alone; a Redis restart mid-run is
// survived; a cancelled run resumes.
import type { ChildProcess } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Queue } from 'bullmq';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, PREFIX, QUEUE_NAME } from '../../../main/cluster/connection';
import { shardJobId, type ShardProgress } from '../../../main/cluster/jobs';
import { cancelRun, runIdOf } from '../../../main/cluster/submit';
import { ScalePlan, type ScalePlanInput } from '../../../main/domain/scale';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { readItemTable } from '../../../main/engine/scale/item-table';
import { mergeShards, type MergeResult } from '../../../main/engine/scale/merge';
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
let redis: RedisServer;
const workers: RunningWorker[] = [];

function startWorker(name: string): RunningWorker {
  const child = winnowSpawn(['worker', '--queue', redis.url, '--lock-ms', '3000', '--name', name]);
  const w: RunningWorker = { name, child, log: '' };
  child.stdout!.on('data', (d) => (w.log += d));
  child.stderr!.on('data', (d) => (w.log += d));
  workers.push(w);
  return w;
}

async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${workers.map((w) => `--- ${w.name}\n${w.log}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function writePlan(name: string, extra: Partial<ScalePlanInput> = {}) {
  const plan = ScalePlan.parse(scalePlan(data, path.join(dir, name, 'out'), extra));
  const file = path.join(dir, `${name}.plan.json`);
  await writeFile(file, JSON.stringify(plan));
  return { plan, file };
}

const readResult = async (out: string) => ({
  rows: await readItemTable(path.join(out, 'result', 'items.parquet')),
  dups: ((await parquetReadObjects({ file: await asyncBufferFromFile(path.join(out, 'result', 'duplicates.parquet')) })) as Array<{ group: number; kind: string; key: string }>)
    .map((d) => `${d.group}:${d.kind}:${d.key}`),
});

beforeAll(async () => {
  if (!hasRedis) return;
  dir = await tempDir('winnow-cluster-');
  data = await writeScaleDataset(dir, { tars: 6, perTar: 6, manifestRows: 6 });
  redis = await startRedis();
  for (const name of ['w1', 'w2', 'w3']) startWorker(name);
  await waitFor('three workers', async () => workers.every((w) => /serving/.test(w.log)));
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await redis?.stop();
});

describe.skipIf(!hasRedis)('cluster runs on BullMQ + Redis', () => {
  it('a 3-worker run with a worker killed -9 mid-shard equals the single-process run; the shard is retried elsewhere and committed once', async () => {
    const { plan, file } = await writePlan('main', { batchSize: 2 });
    // Single-process reference, in this process.
    const single = ScalePlan.parse({ ...plan, output: path.join(dir, 'single') });
    const model = await loadShardModel(single.model);
    const storage = new FsStorage(single.output);
    await runShard(single, shardOf(await planUnits(single), { index: 0, count: 1 }), { storage, model });
    await model.model.dispose();
    await mergeShards(single, 1, storage);

    const count = 6;
    const run = winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', String(count), '--json']);
    const conn = connect(redis.url);
    const queue = new Queue(QUEUE_NAME, { connection: conn, prefix: PREFIX });
    const runId = runIdOf(plan, count);
    // A shard in the middle of its work (some batches done, not all), on a worker we can kill.
    const victim = await waitFor('a shard mid-way', async () => {
      for (let i = 0; i < count; i++) {
        const job = await queue.getJob(shardJobId(runId, i));
        const p = job?.progress as ShardProgress | undefined;
        if (job && p && typeof p === 'object' && p.done > 0 && p.done < p.total && (await job.getState()) === 'active') return { index: i, worker: p.worker };
      }
      return null;
    });
    const killed = workers.find((w) => w.name === victim.worker)!;
    killed.child.kill('SIGKILL');
    const outcome = await run;
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = (JSON.parse(outcome.stdout) as { result: MergeResult }).result;
    expect(result.failed).toEqual([]);
    expect(result.items).toBe(data.items);

    const job = (await queue.getJob(shardJobId(runId, victim.index)))!;
    expect(job.processedBy).not.toBe(victim.worker);
    expect(job.attemptsStarted + job.stalledCounter).toBeGreaterThanOrEqual(2);
    await queue.close();
    conn.disconnect();
    // Exactly once: one commit of that shard across all workers' logs, one folder, no staged leftovers of live workers.
    const name = `shards/${String(victim.index).padStart(5, '0')}-of-${String(count).padStart(5, '0')}`;
    const commits = workers.map((w) => w.log.split('\n').filter((l) => l.startsWith(`committed ${name} `)).length).reduce((a, b) => a + b, 0);
    expect(commits).toBe(1);
    expect((await readdir(path.join(plan.output, 'shards'))).filter((n) => !n.startsWith('.'))).toHaveLength(count);

    const a = await readResult(single.output);
    const b = await readResult(plan.output);
    expect(b.rows.map((r) => r.key)).toEqual(a.rows.map((r) => r.key));
    b.rows.forEach((r, i) => {
      expect({ ...r, signals: null }).toEqual({ ...a.rows[i], signals: null });
      for (const [k, v] of Object.entries(a.rows[i].signals)) expect(r.signals[k as keyof typeof r.signals]).toBeCloseTo(v, 5);
    });
    expect(b.dups).toEqual(a.dups);
    expect(b.dups.some((d) => d.endsWith(`exact:${data.exactPair[1]}`))).toBe(true);
    startWorker('w4');
  }, 300_000);

  it('a corrupt tar fails its shard alone with its reason; the others merge and the run reports it', async () => {
    await writeFile(path.join(data.wds, '00099.tar'), Buffer.alloc(4096, 'not a tar archive, just text '));
    try {
      const { file } = await writePlan('poisoned');
      const outcome = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--json']);
      expect(outcome.code, outcome.stderr).toBe(3);
      const result = (JSON.parse(outcome.stdout) as { result: MergeResult }).result;
      expect(result.failed).toHaveLength(1);
      expect(result.failed[0].reason).toMatch(/bad_archive: 00099\.tar/);
      expect(result.items).toBe(data.items);
    } finally {
      const { rm } = await import('node:fs/promises');
      await rm(path.join(data.wds, '00099.tar'));
    }
  }, 300_000);

  it('Redis restarted mid-run: workers reconnect and the run finishes', async () => {
    const { plan, file } = await writePlan('restart', { batchSize: 2 });
    const count = 8;
    const submitted = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', String(count), '--detach', '--json']);
    expect(submitted.code, submitted.stderr).toBe(0);
    await waitFor('a committed shard', async () => (await readdir(path.join(plan.output, 'shards')).catch(() => [] as string[])).some((n) => !n.startsWith('.')));
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1500));
    await redis.start();
    const outcome = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', String(count), '--json']);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = (JSON.parse(outcome.stdout) as { result: MergeResult }).result;
    expect(result).toMatchObject({ merged: count, failed: [], items: data.items });
  }, 300_000);

  it('a cancelled run stops and resumes, skipping the shards it had committed', async () => {
    const { plan, file } = await writePlan('cancel', { batchSize: 2 });
    const count = 16;
    expect((await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', String(count), '--detach'])).code).toBe(0);
    await waitFor('a committed shard', async () => (await readdir(path.join(plan.output, 'shards')).catch(() => [] as string[])).some((n) => !n.startsWith('.')));
    // In this process: a CLI start takes seconds on a loaded machine, by which time the small run is over.
    const cancelled = await cancelRun(redis.url, runIdOf(plan, count));
    expect(cancelled.found).toBe(true);
    const committedBefore = (await readdir(path.join(plan.output, 'shards'))).filter((n) => !n.startsWith('.'));
    expect(committedBefore.length).toBeLessThan(count);
    const logsBefore = workers.map((w) => w.log.length);
    const outcome = await winnowRun(['cluster', 'run', file, '--queue', redis.url, '--shards', String(count), '--json']);
    expect(outcome.code, outcome.stderr).toBe(0);
    expect((JSON.parse(outcome.stdout) as { result: MergeResult }).result).toMatchObject({ merged: count, failed: [], items: data.items });
    const later = workers.map((w, i) => w.log.slice(logsBefore[i] ?? 0)).join('\n');
    for (const name of committedBefore) expect(later).not.toMatch(new RegExp(`^committed shards/${name} `, 'm'));
  }, 300_000);
});
