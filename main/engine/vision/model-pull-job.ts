import { z } from 'zod';
import type { JobT, ModelJobT } from '../../domain/job';
import { PullResult } from '../../domain/model-report';
import type { EngineEvents } from '../events';
import { defineJob } from '../jobs/define-job';
import { MemoryJobStore } from '../jobs/memory-job-store';
import { JobRunner } from '../jobs/runner';
import type { ModelManager } from './model-manager';

export const ModelPullParams = z.object({ id: z.string().min(1), dtype: z.string().min(1).optional() });
export type ModelPullParams = z.output<typeof ModelPullParams>;

export const MODEL_PULL_JOB = 'model.pull';

/**
 * A model download as a job whose progress counts bytes over all of the pull's files. The total
 * starts from the registry's approximate sizes and is corrected as each server reports a length.
 * Its resume point is on disk (the `.part` files), so the job has no checkpoint of its own.
 */
export function modelPullJob(manager: ModelManager) {
  return defineJob({
    kind: MODEL_PULL_JOB,
    params: ModelPullParams,
    checkpoint: z.null(),
    result: PullResult,
    title: (params) => `Pull ${params.id}${params.dtype ? ` (${params.dtype})` : ''}`,
    async run(ctx) {
      const { id, dtype } = ctx.params;
      const plan = await manager.plannedFiles(id, dtype);
      const sizes = plan.files.map((file) => file.approxBytes);
      const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
      let total = sum(sizes);
      ctx.setTotal(total);
      return manager.pull(id, {
        dtype: plan.dtype,
        signal: ctx.signal,
        onProgress: (progress) => {
          if (progress.total !== undefined) sizes[progress.fileIndex] = progress.total;
          const nextTotal = sum(sizes);
          if (nextTotal !== total) ctx.setTotal((total = nextTotal));
          ctx.progress(Math.min(sum(sizes.slice(0, progress.fileIndex)) + progress.bytes, total));
        },
      });
    },
  });
}

/**
 * The app's own jobs (model pulls): the same runner and kinds as a project's, over an in-memory store
 * (they belong to no project), pulls running side by side, reported on the `models.job` event.
 */
export class ModelJobs {
  readonly runner: JobRunner;
  private readonly pull: ReturnType<typeof modelPullJob>;

  constructor(events: EngineEvents, manager: ModelManager) {
    this.pull = modelPullJob(manager);
    this.runner = new JobRunner({ store: new MemoryJobStore(), emit: (job) => events.emit('models.job', this.describe(job)), concurrency: Number.POSITIVE_INFINITY, owner: 'app' });
    this.runner.register(this.pull);
  }

  /** Starts a pull; the same pull already running is returned instead of a second one. */
  start(params: ModelPullParams): ModelJobT {
    return this.describe(this.runner.start(MODEL_PULL_JOB, params));
  }

  /** The running (or queued) pull of a model, whatever its dtype. */
  pulling(modelId: string): ModelJobT | undefined {
    const found = this.runner.unfinished(this.pull).find((p) => p.params.id === modelId);
    return found && { ...found.job, model: found.params.id };
  }

  get(id: number): ModelJobT {
    return this.describe(this.runner.get(id));
  }

  /** Newest first. */
  list(): ModelJobT[] {
    return this.runner.list().map((job) => this.describe(job));
  }

  cancel(id: number): ModelJobT {
    return this.describe(this.runner.cancel(id));
  }

  /** Waits for a pull; the result is what the pull installed (null unless it is done). */
  async wait(id: number) {
    const { job, result } = await this.runner.waitResult(this.pull, id);
    return { job: this.describe(job), result };
  }

  close(): Promise<void> {
    return this.runner.close();
  }

  private describe(job: JobT): ModelJobT {
    return { ...job, model: this.runner.params(this.pull, job.id)?.id ?? '' };
  }
}
