// The job record every transport shows (project jobs and app-level model pulls alike).
import { z } from 'zod';

export const JobState = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);

export const Job = z.object({
  id: z.number().int(),
  kind: z.string(),
  title: z.string(),
  state: JobState,
  done: z.number().int(),
  total: z.number().int().nullable(),
  ratePerSec: z.number().nullable(),
  etaSec: z.number().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  /** The model the job runs with (its params' model, resolved from the project's choice when it was started); null for jobs without one. */
  model: z.string().nullable().optional(),
});

export type JobT = z.output<typeof Job>;

/** A model pull (an app-level job) with the model it installs, read from its params rather than its title. */
export const ModelJob = Job.extend({ model: z.string() });

export type ModelJobT = z.output<typeof ModelJob>;
