// `winnow worker --queue URL`: serves shard and merge jobs from Redis with BullMQ. A worker loads each
// plan's model once and keeps it for the next shard. Retries, stalled-job detection (a killed worker's
// lock expires and its shard goes to another worker) and the merge-after-children ordering are BullMQ's;
// exactly-once output is the storage commit's (main/engine/scale/storage.ts). Every worker also serves the
// SemDeDup step queue (semdedup.ts), and `rate` caps how fast jobs start (BullMQ's limiter, shared by every
// worker that sets it, e.g. to spare a source server or an object store).
import os from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { failurePath, mergeShards } from '../engine/scale/merge';
import { PoisonedShardError, runShard, shardPath } from '../engine/scale/shard-run';
import { loadShardModel, type ShardModel } from '../engine/scale/shard-model';
import { prepareStages, type ShardStages, stagesKey } from '../engine/scale/stages/shard-stages';
import { PreprocessPool } from '../engine/vision/preprocess-pool';
import { openStorage, type ShardStorage } from '../engine/scale/storage';
import { cancelKey, connect, PREFIX, QUEUE_NAME } from './connection';
import { enqueueExports, exportJob } from './export-jobs';
import type { ExportJobData, MergeJobData, ShardJobData, ShardProgress } from './jobs';
import { distributedSemDedup, SEMDEDUP_QUEUE, semDedupJob, type SemDedupJobData } from './semdedup';

export interface WorkerOptions {
  concurrency?: number;
  /** How long a shard's lock lasts without renewal: a killed worker's shard is retried after about this long. */
  lockMs?: number;
  name?: string;
  /** At most `max` job starts per `duration` ms (BullMQ's worker limiter); `--rate 5/s`, `--rate 100/min`. */
  rate?: { max: number; duration: number };
  log?: (line: string) => void;
}

export interface RunningWorker { worker: Worker; close(): Promise<void> }

/** `N/s`, `N/min` or `N/h` → BullMQ limiter options. */
export function parseRate(text: string): { max: number; duration: number } {
  const m = /^\s*(\d+)\s*\/\s*(s|sec|second|m|min|minute|h|hour)\s*$/i.exec(text);
  if (!m || Number(m[1]) < 1) throw new Error(`--rate takes N/s, N/min or N/h (N ≥ 1), not "${text}"`);
  const unit = m[2].toLowerCase();
  return { max: Number(m[1]), duration: unit.startsWith('s') ? 1_000 : unit.startsWith('m') ? 60_000 : 3_600_000 };
}

export async function serveQueue(url: string, o: WorkerOptions = {}): Promise<RunningWorker> {
  const log = o.log ?? ((line: string) => console.log(line));
  const name = o.name ?? `${os.hostname()}:${process.pid}`;
  const redis = connect(url);
  // One model, one decode pool and the plan's prepared stages (detector, class/concept text embeddings) per worker,
  // kept from shard to shard (a plan with another model or other stages replaces them).
  type Loaded = ShardModel & { pool: PreprocessPool; stages?: { key: string; ready: Promise<ShardStages> } };
  let loaded: { key: string; model: Promise<Loaded> } | null = null;
  const release = async (l: typeof loaded) => {
    const m = await l?.model.catch(() => null);
    const stages = await m?.stages?.ready.catch(() => null);
    if (m) await Promise.all([stages?.dispose(), m.model.dispose(), m.pool.close()]);
  };
  const modelFor = (id: string) => {
    if (loaded?.key !== id) {
      const previous = loaded;
      loaded = { key: id, model: (async () => { await release(previous); const m = await loadShardModel(id); return { ...m, pool: new PreprocessPool(m.model.preprocess) }; })() };
    }
    return loaded.model;
  };
  // One storage per output location, so an S3 worker downloads the SemDeDup matrix once, not per cluster job.
  const storages = new Map<string, Promise<ShardStorage>>();
  const storageOf = (location: string) => {
    if (!storages.has(location)) storages.set(location, openStorage(location));
    return storages.get(location)!;
  };
  const lockDuration = o.lockMs ?? 30_000;
  const common = {
    prefix: PREFIX, name, concurrency: o.concurrency ?? 1,
    lockDuration, stalledInterval: Math.max(500, Math.floor(lockDuration / 2)), maxStalledCount: 2,
  };
  // Our own connections: BullMQ leaves a connection it was given open on close, so close() ends them (in-process workers).
  const workerConn = connect(url);
  const stepsConn = connect(url);
  const worker = new Worker(QUEUE_NAME, async (job: Job) => {
    if (job.name === 'merge') return mergeJob(job as Job<MergeJobData>, url, log);
    if (job.name === 'export') return exportJob(job as Job<ExportJobData>, log);
    const { plan } = job.data as ShardJobData;
    const model = await modelFor(plan.model);
    const key = stagesKey(plan.model, plan.stages ?? {});
    if (model.stages?.key !== key) {
      const previous = model.stages?.ready;
      model.stages = { key, ready: (async () => { await (await previous?.catch(() => null))?.dispose(); return prepareStages(plan.model, plan.stages ?? {}, model); })() };
    }
    return shardJob(job as Job<ShardJobData>, redis, model, await model.stages.ready, name, log);
  }, { ...common, connection: workerConn, limiter: o.rate });
  const steps = new Worker<SemDedupJobData>(SEMDEDUP_QUEUE, (job) => semDedupJob(job, storageOf, log, name), { ...common, connection: stepsConn });
  for (const w of [worker, steps]) w.on('error', (err) => log(`worker ${name}: ${err.message}`));
  await Promise.all([worker.waitUntilReady(), steps.waitUntilReady()]);
  log(`worker ${name} serving ${QUEUE_NAME} and ${SEMDEDUP_QUEUE}${o.rate ? ` (at most ${o.rate.max} job starts per ${o.rate.duration / 1000} s)` : ''}`);
  return {
    worker,
    async close() {
      await Promise.all([worker.close(), steps.close()]);
      await release(loaded);
      for (const c of [redis, workerConn, stepsConn]) c.disconnect();
    },
  };
}

async function shardJob(job: Job<ShardJobData>, redis: Redis, model: ShardModel & { pool: PreprocessPool }, stages: ShardStages, worker: string, log: (l: string) => void) {
  const { plan, index, count, units, runId } = job.data;
  const storage = await openStorage(plan.output);
  const abort = new AbortController();
  let lastCheck = 0;
  const checkCancel = async () => {
    if (Date.now() - lastCheck < 500) return;
    lastCheck = Date.now();
    if (await redis.exists(cancelKey(runId))) abort.abort(new Error('cancelled'));
  };
  await checkCancel();
  if (abort.signal.aborted) throw new UnrecoverableError('cancelled');
  const startedAt = Date.now();
  try {
    const summary = await runShard(plan, { index, count, units }, {
      storage, model, pool: model.pool, stages, signal: abort.signal,
      onProgress: async (done, total) => {
        await job.updateProgress({ done, total, startedAt, worker } satisfies ShardProgress);
        await checkCancel();
      },
    });
    log(`${summary.committed ? 'committed' : summary.skipped ? 'already committed' : 'dropped duplicate of'} ${shardPath(job.data)} (${summary.items} items, ${summary.elapsedMs} ms) on ${worker}`);
    return summary;
  } catch (err) {
    if (abort.signal.aborted) throw new UnrecoverableError('cancelled');
    const reason = (err as Error).message;
    const final = err instanceof PoisonedShardError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) await storage.writeJson(failurePath(shardPath(job.data)), { reason, attempts: job.attemptsMade + 1, worker });
    log(`failed ${shardPath(job.data)} on ${worker}: ${reason}`);
    if (err instanceof PoisonedShardError) throw new UnrecoverableError(reason);
    throw err;
  }
}

async function mergeJob(job: Job<MergeJobData>, url: string, log: (l: string) => void) {
  const { plan, count } = job.data;
  const storage = await openStorage(plan.output);
  // SemDeDup's steps become jobs of their own on every worker; the graph method stays one kNN pass in the merge.
  // Its progress shows on the merge job, which `cluster run` prints.
  const semantic = plan.dedup.method === 'semdedup' ? distributedSemDedup(url, plan, storage, { log, onProgress: (p) => job.updateProgress({ semdedup: p }) }) : undefined;
  const result = await mergeShards(plan, count, storage, { semantic });
  log(`merged ${result.merged}/${count} shards: ${result.items} items, ${result.failed.length} failed`);
  // Only now is the selection the exports read committed.
  if (job.data.export) await enqueueExports(url, job.data.runId, plan, count, job.data.export);
  return result;
}
