// `winnow cluster run PLAN`: the plan as one BullMQ flow, a merge job whose children are the shard jobs.
// The run id is a hash of the plan and the shard count, so submitting the same plan again attaches to
// the run in flight, or, after a cancel or a crash, resumes it: committed shards are skipped by the
// workers (storage commit), the rest run. `cluster cancel` flags the run (workers stop between batches)
// and removes its waiting jobs.
import { createHash } from 'node:crypto';
import { FlowProducer, type Queue } from 'bullmq';
import stringify from 'safe-stable-stringify';
import type { ScalePlanT } from '../domain/scale';
import type { ShardExportFormat } from '../engine/scale/shard-export';
import { allShards, planUnits } from '../engine/scale/units';
import { cancelKey, connect, PREFIX, QUEUE_NAME, runKey, withShardQueue } from './connection';
import { enqueueExports } from './export-jobs';
import { exportJobId, mergeJobId, type MergeJobData, SHARD_ATTEMPTS, shardJobId, type ShardJobData } from './jobs';

export interface RunInfo { runId: string; count: number; plan: ScalePlanT; submittedAt: number }

export function runIdOf(plan: ScalePlanT, count: number): string {
  return createHash('sha256').update(stringify({ plan, count }) ?? '').digest('hex').slice(0, 12);
}

export interface SubmitResult { info: RunInfo; resumed: boolean; alreadyDone: boolean }

/** `o.export`: after the merge, one export job per shard in that format (a finished run gets them now). */
export async function submitPlan(url: string, plan: ScalePlanT, count: number | undefined, o: { export?: ShardExportFormat } = {}): Promise<SubmitResult> {
  const units = await planUnits(plan);
  const n = count ?? Math.max(1, units.length);
  const runId = runIdOf(plan, n);
  return withShardQueue(url, async (queue, redis) => {
    const flows = new FlowProducer({ connection: redis, prefix: PREFIX });
    try {
      const existing = await queue.getJob(mergeJobId(runId));
      const state = existing ? await existing.getState() : null;
      const info: RunInfo = { runId, count: n, plan, submittedAt: Date.now() };
      if (state === 'completed') {
        if (o.export) await enqueueExports(url, runId, plan, n, o.export);
        return { info: (await readRun(redis, runId)) ?? info, resumed: false, alreadyDone: true };
      }
      if (state && state !== 'failed' && state !== 'unknown') return { info: (await readRun(redis, runId)) ?? info, resumed: true, alreadyDone: false };
      // A cancelled or crashed run: clear what is left of it and submit it again (committed shards are skipped).
      await redis.del(cancelKey(runId));
      await removeRun(queue, runId, n);
      await redis.set(runKey(runId), JSON.stringify(info));
      const children = allShards(units, n).map((s) => ({
        name: 'shard', queueName: QUEUE_NAME, prefix: PREFIX,
        data: { runId, plan, index: s.index, count: s.count, units: s.units } satisfies ShardJobData,
        opts: { jobId: shardJobId(runId, s.index), attempts: SHARD_ATTEMPTS, backoff: { type: 'fixed', delay: 500 }, ignoreDependencyOnFailure: true },
      }));
      await flows.add({ name: 'merge', queueName: QUEUE_NAME, prefix: PREFIX, data: { runId, plan, count: n, ...(o.export && { export: o.export }) } satisfies MergeJobData, opts: { jobId: mergeJobId(runId), attempts: 2 }, children });
      return { info, resumed: Boolean(existing), alreadyDone: false };
    } finally {
      await flows.close();
    }
  });
}

export async function readRun(redis: ReturnType<typeof connect>, runId: string): Promise<RunInfo | null> {
  const text = await redis.get(runKey(runId));
  return text ? (JSON.parse(text) as RunInfo) : null;
}

/** Every job id of a run: its merge, its shards and its shard exports (cluster run --export). */
const runJobIds = (runId: string, count: number) => [mergeJobId(runId), ...Array.from({ length: count }, (_, i) => [shardJobId(runId, i), exportJobId(runId, i)]).flat()];

/** Removes a run's jobs that are not running (a running one finishes or sees the cancel flag first). */
async function removeRun(queue: Queue, runId: string, count: number): Promise<void> {
  for (const id of runJobIds(runId, count)) {
    const job = await queue.getJob(id);
    if (!job) continue;
    await job.remove({ removeChildren: false }).catch(() => undefined);
  }
}

/** Flags the run as cancelled and removes its jobs that are waiting; returns how many were removed. */
export async function cancelRun(url: string, runId: string): Promise<{ found: boolean; removed: number }> {
  return withShardQueue(url, async (queue, redis) => {
    const info = await readRun(redis, runId);
    if (!info) return { found: false, removed: 0 };
    await redis.set(cancelKey(runId), '1');
    let removed = 0;
    for (const id of runJobIds(runId, info.count)) {
      const job = await queue.getJob(id);
      if (!job || (await job.getState()) === 'active') continue;
      if (await job.remove({ removeChildren: false }).then(() => true, () => false)) removed++;
    }
    return { found: true, removed };
  });
}
