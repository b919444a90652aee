// `winnow worker --queue URL`: serves shard and merge jobs from Redis with BullMQ. A worker loads each
// plan's model once and keeps it for the next shard. Retries, stalled-job detection (a killed worker's
// lock expires and its shard goes to another worker) and the merge-after-children ordering are BullMQ's;
// exactly-once output is the storage commit's (main/engine/scale/storage.ts).
import os from 'node:os';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { failurePath, mergeShards } from '../engine/scale/merge';
import { PoisonedShardError, runShard, shardPath } from '../engine/scale/shard-run';
import { loadShardModel, type ShardModel } from '../engine/scale/shard-model';
import { prepareStages, type ShardStages, stagesKey } from '../engine/scale/stages/shard-stages';
import { PreprocessPool } from '../engine/vision/preprocess-pool';
import { openStorage } from '../engine/scale/storage';
import { cancelKey, connect, PREFIX, QUEUE_NAME } from './connection';
import type { MergeJobData, ShardJobData, ShardProgress } from './jobs';

export interface WorkerOptions {
  concurrency?: number;
  /** How long a shard's lock lasts without renewal: a killed worker's shard is retried after about this long. */
  lockMs?: number;
  name?: string;
  log?: (line: string) => void;
}

export interface RunningWorker { worker: Worker; close(): Promise<void> }

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
  const lockDuration = o.lockMs ?? 30_000;
  const worker = new Worker(QUEUE_NAME, async (job: Job) => {
    if (job.name === 'merge') return mergeJob(job as Job<MergeJobData>, log);
    const { plan } = job.data as ShardJobData;
    const model = await modelFor(plan.model);
    const key = stagesKey(plan.model, plan.stages ?? {});
    if (model.stages?.key !== key) {
      const previous = model.stages?.ready;
      model.stages = { key, ready: (async () => { await (await previous?.catch(() => null))?.dispose(); return prepareStages(plan.model, plan.stages ?? {}, model); })() };
    }
    return shardJob(job as Job<ShardJobData>, redis, model, await model.stages.ready, name, log);
  }, {
    connection: connect(url), prefix: PREFIX, name, concurrency: o.concurrency ?? 1,
    lockDuration, stalledInterval: Math.max(500, Math.floor(lockDuration / 2)), maxStalledCount: 2,
  });
  worker.on('error', (err) => log(`worker ${name}: ${err.message}`));
  await worker.waitUntilReady();
  log(`worker ${name} serving ${QUEUE_NAME}`);
  return {
    worker,
    async close() {
      await worker.close();
      await release(loaded);
      redis.disconnect();
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

async function mergeJob(job: Job<MergeJobData>, log: (l: string) => void) {
  const { plan, count } = job.data;
  const storage = await openStorage(plan.output);
  const result = await mergeShards(plan, count, storage);
  log(`merged ${result.merged}/${count} shards: ${result.items} items, ${result.failed.length} failed`);
  return result;
}
