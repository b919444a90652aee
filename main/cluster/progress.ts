// Follows a submitted run: each shard's state and items done with an ETA, the whole run's ETA, then the
// merge's result (or which shards failed and why). Polls the jobs (cheap: one HGETALL per job) so it
// survives a Redis restart the same way workers do.
import type { Queue } from 'bullmq';
import type { MergeResult } from '../engine/scale/merge';
import { shardName } from '../domain/scale';
import { withShardQueue } from './connection';
import { type JobAndState, jobAndState } from './job-state';
import { mergeJobId, type ShardProgress, shardJobId } from './jobs';
import type { SemDedupProgress } from './semdedup';
import type { RunInfo } from './submit';

export interface ShardStatus { shard: string; state: string; done: number; total: number; etaS: number | null; worker: string | null; reason: string | null; attempts: number }

export interface FollowOptions { intervalMs?: number; print?: (line: string) => void; signal?: AbortSignal }

const eta = (done: number, total: number, elapsedMs: number) => (done > 0 && total > done ? Math.round(((total - done) * elapsedMs) / done / 1000) : done >= total ? 0 : null);

export async function shardStatuses(queue: Queue, info: RunInfo): Promise<ShardStatus[]> {
  const out: ShardStatus[] = [];
  for (let index = 0; index < info.count; index++) {
    const { job, state } = await jobAndState(queue, shardJobId(info.runId, index));
    const p = (job?.progress ?? null) as ShardProgress | null;
    const done = p && typeof p === 'object' ? p.done : 0;
    const total = p && typeof p === 'object' ? p.total : 0;
    out.push({
      shard: shardName({ index, count: info.count }), state, done, total, worker: p?.worker ?? null,
      etaS: state === 'active' && p ? eta(done, total, Date.now() - p.startedAt) : state === 'completed' ? 0 : null,
      reason: job?.failedReason ?? null, attempts: job?.attemptsStarted ?? 0,
    });
  }
  return out;
}

/** Waits for the run's merge; prints per-shard lines when they change. Resolves with the merge result, or the merge's failure. */
export async function followRun(url: string, info: RunInfo, o: FollowOptions = {}): Promise<{ result: MergeResult | null; shards: ShardStatus[]; error: string | null }> {
  const print = o.print ?? ((l: string) => console.log(l));
  const seen = new Map<string, string>();
  const started = Date.now();
  return withShardQueue(url, async (queue) => {
    for (;;) {
      o.signal?.throwIfAborted();
      let shards: ShardStatus[] = [];
      let merge: JobAndState;
      try {
        shards = await shardStatuses(queue, info);
        merge = await jobAndState(queue, mergeJobId(info.runId));
      } catch (err) {
        print(`queue unreachable (${(err as Error).message}); retrying`);
        await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
        continue;
      }
      for (const s of shards) {
        const line = `shard ${s.shard} ${s.state.padEnd(9)} ${s.done}/${s.total}${s.worker ? ` on ${s.worker}` : ''}${s.etaS !== null && s.state === 'active' ? ` ETA ${s.etaS}s` : ''}${s.state === 'failed' ? ` — ${s.reason}` : ''}`;
        if (seen.get(s.shard) !== line) { seen.set(s.shard, line); print(line); }
      }
      const finished = shards.filter((s) => s.state === 'completed' || s.state === 'failed').length;
      const items = shards.reduce((a, s) => a + s.done, 0);
      const summary = `run ${info.runId}: ${finished}/${info.count} shards finished, ${items} items, ${Math.round((Date.now() - started) / 1000)} s${finished > 0 && finished < info.count ? `, ETA ${Math.round(((info.count - finished) * (Date.now() - started)) / finished / 1000)}s` : ''}`;
      if (seen.get('*') !== summary.replace(/, \d+ s.*$/, '')) { seen.set('*', summary.replace(/, \d+ s.*$/, '')); print(summary); }
      const { state } = merge;
      const sem = (merge.job?.progress as { semdedup?: SemDedupProgress } | undefined)?.semdedup;
      if (state === 'active' && sem) {
        const line = `merge: SemDeDup ${sem.step === 'centroids' ? 'centroids (k-means on a sample)' : `${sem.done}/${sem.total} cluster jobs${sem.step === 'join' ? ', joining' : ''}`}`;
        if (seen.get('semdedup') !== line) { seen.set('semdedup', line); print(line); }
      }
      if (state === 'completed' || state === 'failed') {
        if (state === 'completed') return { result: merge.job!.returnvalue as MergeResult, shards, error: null };
        return { result: null, shards, error: merge.job!.failedReason ?? 'merge failed' };
      }
      if (state === 'missing') return { result: null, shards, error: 'the run was cancelled (its merge job is gone)' };
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
    }
  });
}
