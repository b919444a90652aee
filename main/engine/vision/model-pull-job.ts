import type { EngineEvents } from '../events';
import { EngineJobs } from '../jobs/engine-jobs';
import type { JobContext, JobKind } from '../jobs/runner';
import type { ModelManager, PullResult } from './model-manager';

export interface ModelPullParams {
  id: string;
  dtype?: string;
}

export const MODEL_PULL_JOB = 'model.pull';

/**
 * A model download as a job whose progress counts bytes over all of the pull's files. The total
 * starts from the registry's approximate sizes and is corrected as each server reports a length.
 */
export function modelPullJob(manager: ModelManager): JobKind<ModelPullParams, null> {
  const kind = {
    kind: MODEL_PULL_JOB,
    title: (params: ModelPullParams) => `Pull ${params.id}${params.dtype ? ` (${params.dtype})` : ''}`,
    async run(ctx: JobContext<ModelPullParams, null>): Promise<PullResult> {
      const { id, dtype } = ctx.params;
      const plan = await manager.plannedFiles(id, dtype);
      const sizes = plan.files.map((file) => file.approxBytes);
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      let total = sum(sizes);
      ctx.setTotal(total);
      return (await manager.pull(id, {
        dtype: plan.dtype,
        signal: ctx.signal,
        onProgress: (progress) => {
          if (progress.total !== undefined) sizes[progress.fileIndex] = progress.total;
          const nextTotal = sum(sizes);
          if (nextTotal !== total) ctx.setTotal((total = nextTotal));
          const done = sum(sizes.slice(0, progress.fileIndex)) + progress.bytes;
          ctx.commit(() => undefined, Math.min(done, total), null);
        },
      })) as PullResult;
    },
  };
  // run() resolves to the pull's result, which EngineJobs.wait() hands back; JobKind types it as void.
  return kind as unknown as JobKind<ModelPullParams, null>;
}

/** The app-level job runner with the model pull kind registered. */
export function createModelJobs(events: EngineEvents, manager: ModelManager): EngineJobs {
  const jobs = new EngineJobs(events);
  jobs.register(modelPullJob(manager));
  return jobs;
}
