// `cluster run --export FORMAT`: after the merge, one export job per shard (exportShard: the kept items of the
// shard, committed once as export/<shard>). The merge job enqueues them when it has committed the result, so
// they never run against a missing or older selection; job ids derive from the run, so a retried merge or a
// resubmitted finished run attaches to the same jobs, and a committed export is skipped by the storage.
import type { Job } from 'bullmq';
import type { ScalePlanT } from '../domain/scale';
import { exportShard, type ShardExportFormat, type ShardExportSummary } from '../engine/scale/shard-export';
import { openStorage } from '../engine/scale/storage';
import { allShards, planUnits } from '../engine/scale/units';
import { withShardQueue } from './connection';
import { exportJobId, type ExportJobData, SHARD_ATTEMPTS } from './jobs';
import { jobAndState } from './job-state';

export async function enqueueExports(url: string, runId: string, plan: ScalePlanT, count: number, format: ShardExportFormat): Promise<void> {
  await withShardQueue(url, async (queue) => {
    const shards = allShards(await planUnits(plan), count);
    await queue.addBulk(shards.map((s) => ({
      name: 'export', data: { runId, plan, index: s.index, count: s.count, units: s.units, format } satisfies ExportJobData,
      opts: { jobId: exportJobId(runId, s.index), attempts: SHARD_ATTEMPTS, backoff: { type: 'fixed', delay: 500 } },
    })));
  });
}

export async function exportJob(job: Job<ExportJobData>, log: (l: string) => void): Promise<ShardExportSummary> {
  const { plan, index, count, units, format } = job.data;
  const summary = await exportShard(plan, { index, count, units }, { storage: await openStorage(plan.output), format });
  log(`${summary.alreadyCommitted ? 'already committed' : summary.committed ? 'committed' : 'dropped duplicate of'} ${summary.name} (${summary.written} items)`);
  return summary;
}

export interface ExportOutcome { exports: ShardExportSummary[]; failed: Array<{ shard: number; reason: string }> }

/** Waits until every export job of the run has completed or failed for good. */
export async function followExports(url: string, runId: string, count: number, o: { intervalMs?: number; print?: (l: string) => void } = {}): Promise<ExportOutcome> {
  let reported = -1;
  return withShardQueue(url, async (queue) => {
    for (;;) {
      const found = await Promise.all(Array.from({ length: count }, (_, i) => jobAndState(queue, exportJobId(runId, i))));
      const states = found.map((f) => f.state);
      // A missing job was removed (cluster cancel): finished, as a failure.
      const over = (s: string) => s === 'completed' || s === 'failed' || s === 'missing';
      const done = states.filter(over).length;
      if (done !== reported) { reported = done; o.print?.(`export: ${done}/${count} shards finished`); }
      if (done === count) {
        const final = found.map((f) => f.job);
        return {
          exports: final.flatMap((j, i) => (states[i] === 'completed' ? [j!.returnvalue as ShardExportSummary] : [])),
          failed: final.flatMap((j, i) => (states[i] === 'failed' ? [{ shard: i, reason: j!.failedReason ?? 'failed' }] : states[i] === 'missing' ? [{ shard: i, reason: 'removed (the run was cancelled)' }] : [])),
        };
      }
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
    }
  });
}
