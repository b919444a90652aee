// The merge's semantic step as queue jobs (plugged in through mergeShards' `semantic` hook): the merged
// image matrix is committed to storage, a centroid job trains k-means on a sample and assigns every row,
// then a BullMQ flow runs one job per cluster (children) and the join (parent, after every cluster). The
// jobs live on their own queue, which every worker also serves, so a merge waiting for them never holds
// the only slot that could run them. Job ids derive from the output location and the steps' key (matrix
// content + dedup settings), so a retried merge attaches to the jobs in flight or reuses their outputs.
import { createHash } from 'node:crypto';
import { FlowProducer, type Job, Queue } from 'bullmq';
import type { ScalePlanT } from '../domain/scale';
import { centroidStep, clusterStep, joinStep, publishMatrix, type Dedup } from '../engine/scale/dedup-jobs';
import type { NpyRows } from '../engine/scale/npy-rows';
import type { ShardStorage } from '../engine/scale/storage';
import { connect, PREFIX } from './connection';
import { jobAndState } from './job-state';

export const SEMDEDUP_QUEUE = 'winnow-semdedup';

export interface SemDedupJobData { output: string; key: string; dedup: Dedup; cluster?: number }

const centroidJobId = (id: string) => `${id}-centroids`;
const joinJobId = (id: string) => `${id}-join`;
const clusterJobId = (id: string, c: number) => `${id}-cluster-${c}`;
/** Job ids: the steps' key within one output location (two plans may share a queue, and a matrix). */
const jobsOf = (output: string, key: string) => `semdedup-${createHash('sha256').update(`${output}\n${key}`).digest('hex').slice(0, 16)}`;
const STEP_ATTEMPTS = 3;

/** Runs one SemDeDup job on a worker; `storageOf` gives the (cached) storage of a plan's output. */
export async function semDedupJob(job: Job<SemDedupJobData>, storageOf: (location: string) => Promise<ShardStorage>, log: (l: string) => void, worker: string) {
  const { output, key, dedup, cluster } = job.data;
  const storage = await storageOf(output);
  if (job.name === 'centroids') {
    const layout = await centroidStep(storage, key, dedup);
    log(`${layout.committed ? 'committed' : 'already committed'} semdedup/${key}/centroids (${layout.k} clusters of ${layout.rows} rows) on ${worker}`);
    return { k: layout.k, rows: layout.rows };
  }
  if (job.name === 'cluster') {
    const r = await clusterStep(storage, key, cluster!, dedup.threshold);
    log(`${r.committed ? 'committed' : 'already committed'} semdedup/${key}/cluster ${cluster} (${r.members} rows, ${r.pairs} pairs) on ${worker}`);
    return r;
  }
  if (job.name === 'join') {
    const groups = await joinStep(storage, key);
    log(`joined semdedup/${key}: ${groups.length} groups on ${worker}`);
    return { groups: groups.length };
  }
  throw new Error(`unknown SemDeDup job ${job.name}`);
}

/** Waits for job `id` to complete (polling, so a Redis restart is survived like elsewhere); throws with its reason if it fails. */
async function finished(queue: Queue, id: string, signal?: AbortSignal, onTick?: (job: Job) => Promise<void>): Promise<Job> {
  for (;;) {
    signal?.throwIfAborted();
    let job: Job | undefined;
    let state: string;
    try {
      ({ job, state } = await jobAndState(queue, id));
    } catch {
      state = 'unreachable';
    }
    if (job && onTick && (state === 'completed' || state === 'waiting-children' || state === 'active')) await onTick(job).catch(() => undefined);
    if (state === 'completed') return job!;
    if (state === 'failed') throw new Error(`SemDeDup job ${job!.name} failed: ${job!.failedReason}`);
    if (state === 'missing') throw new Error(`SemDeDup job ${id} is gone (cancelled?)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A job that failed in an earlier merge attempt is removed so it can be added (and run) again. */
async function clearFailed(queue: Queue, id: string): Promise<void> {
  const job = await queue.getJob(id);
  if (job && (await job.getState()) === 'failed') await job.remove({ removeChildren: true }).catch(() => undefined);
}

export interface SemDedupProgress { step: 'centroids' | 'clusters' | 'join'; done: number; total: number }

/** The `semantic` hook for mergeShards that runs SemDeDup's steps as jobs on the queue at `url`. */
export function distributedSemDedup(url: string, plan: ScalePlanT, storage: ShardStorage, o: { signal?: AbortSignal; log?: (l: string) => void; onProgress?: (p: SemDedupProgress) => Promise<void> } = {}) {
  return async (images: NpyRows): Promise<number[][]> => {
    if (images.rows < 2) return [];
    const key = await publishMatrix(storage, images, plan.dedup);
    const id = jobsOf(plan.output, key);
    const data: SemDedupJobData = { output: plan.output, key, dedup: plan.dedup };
    const redis = connect(url);
    const queue = new Queue<SemDedupJobData>(SEMDEDUP_QUEUE, { connection: redis, prefix: PREFIX });
    const flows = new FlowProducer({ connection: redis, prefix: PREFIX });
    const step = { attempts: STEP_ATTEMPTS, backoff: { type: 'fixed', delay: 500 } };
    try {
      await clearFailed(queue, centroidJobId(id));
      await queue.add('centroids', data, { jobId: centroidJobId(id), ...step });
      await o.onProgress?.({ step: 'centroids', done: 0, total: 1 });
      const { k } = (await finished(queue, centroidJobId(id), o.signal)).returnvalue as { k: number };
      o.log?.(`semdedup ${key}: ${k} cluster jobs`);
      await clearFailed(queue, joinJobId(id));
      if (!(await queue.getJob(joinJobId(id)))) {
        await flows.add({
          name: 'join', queueName: SEMDEDUP_QUEUE, prefix: PREFIX, data, opts: { jobId: joinJobId(id), ...step },
          // A cluster that fails for good fails the join, and so the merge, which retries (committed clusters are reused).
          children: Array.from({ length: k }, (_, c) => ({
            name: 'cluster', queueName: SEMDEDUP_QUEUE, prefix: PREFIX, data: { ...data, cluster: c },
            opts: { jobId: clusterJobId(id, c), ...step, failParentOnFailure: true },
          })),
        });
      }
      let reported = -1;
      await finished(queue, joinJobId(id), o.signal, async (join) => {
        const { processed = 0 } = await join.getDependenciesCount({ processed: true });
        if (processed !== reported) await o.onProgress?.({ step: processed < k ? 'clusters' : 'join', done: (reported = processed), total: k });
      });
      return await joinStep(storage, key);
    } finally {
      await flows.close();
      await queue.close();
      redis.disconnect();
    }
  };
}
