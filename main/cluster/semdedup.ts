// The merge's semantic step as queue jobs (plugged in through mergeShards' `semantic` hook): the merged
// image matrix is committed to storage, a centroid job trains k-means on a sample and assigns every row,
// then a BullMQ flow runs one job per cluster (children) and the join (parent, after every cluster). The
// jobs live on their own queue, which every worker also serves, so a merge waiting for them never holds
// the only slot that could run them. Job ids are the matrix's content key, so a retried merge attaches to
// the jobs in flight or reuses their committed outputs.
import { FlowProducer, type Job, Queue } from 'bullmq';
import type { ScalePlanT } from '../domain/scale';
import { centroidStep, clusterStep, joinStep, publishMatrix, type Dedup } from '../engine/scale/dedup-jobs';
import type { NpyRows } from '../engine/scale/npy-rows';
import type { ShardStorage } from '../engine/scale/storage';
import { connect, PREFIX } from './connection';

export const SEMDEDUP_QUEUE = 'winnow-semdedup';

export interface SemDedupJobData { output: string; key: string; dedup: Dedup; cluster?: number }

const centroidJobId = (key: string) => `${key}-centroids`;
const joinJobId = (key: string) => `${key}-join`;
const clusterJobId = (key: string, c: number) => `${key}-cluster-${c}`;
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
      job = await queue.getJob(id);
      state = job ? await job.getState() : 'missing';
    } catch {
      state = 'unreachable';
    }
    if (state === 'completed') return job!;
    if (state === 'failed') throw new Error(`SemDeDup job ${job!.name} failed: ${job!.failedReason}`);
    if (state === 'missing') throw new Error(`SemDeDup job ${id} is gone (cancelled?)`);
    if (job && onTick) await onTick(job).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A job that failed in an earlier merge attempt is removed so it can be added (and run) again. */
async function clearFailed(queue: Queue, id: string): Promise<void> {
  const job = await queue.getJob(id);
  if (job && (await job.getState()) === 'failed') await job.remove({ removeChildren: true }).catch(() => undefined);
}

/** The `semantic` hook for mergeShards that runs SemDeDup's steps as jobs on the queue at `url`. */
export interface SemDedupProgress { step: 'centroids' | 'clusters' | 'join'; done: number; total: number }

export function distributedSemDedup(url: string, plan: ScalePlanT, storage: ShardStorage, o: { signal?: AbortSignal; log?: (l: string) => void; onProgress?: (p: SemDedupProgress) => Promise<void> } = {}) {
  return async (images: NpyRows): Promise<number[][]> => {
    if (images.rows < 2) return [];
    const key = await publishMatrix(storage, images);
    const data: SemDedupJobData = { output: plan.output, key, dedup: plan.dedup };
    const redis = connect(url);
    const queue = new Queue<SemDedupJobData>(SEMDEDUP_QUEUE, { connection: redis, prefix: PREFIX });
    const flows = new FlowProducer({ connection: redis, prefix: PREFIX });
    const step = { attempts: STEP_ATTEMPTS, backoff: { type: 'fixed', delay: 500 } };
    try {
      await clearFailed(queue, centroidJobId(key));
      await queue.add('centroids', data, { jobId: centroidJobId(key), ...step });
      await o.onProgress?.({ step: 'centroids', done: 0, total: 1 });
      const { k } = (await finished(queue, centroidJobId(key), o.signal)).returnvalue as { k: number };
      o.log?.(`semdedup ${key}: ${k} cluster jobs`);
      await clearFailed(queue, joinJobId(key));
      if (!(await queue.getJob(joinJobId(key)))) {
        await flows.add({
          name: 'join', queueName: SEMDEDUP_QUEUE, prefix: PREFIX, data, opts: { jobId: joinJobId(key), ...step },
          // A cluster that fails for good fails the join, and so the merge, which retries (committed clusters are reused).
          children: Array.from({ length: k }, (_, c) => ({
            name: 'cluster', queueName: SEMDEDUP_QUEUE, prefix: PREFIX, data: { ...data, cluster: c },
            opts: { jobId: clusterJobId(key, c), ...step, failParentOnFailure: true },
          })),
        });
      }
      let reported = -1;
      await finished(queue, joinJobId(key), o.signal, async (join) => {
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
