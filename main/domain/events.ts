// Every event the engine pushes to front ends, with its payload's schema.
import { z } from 'zod';
import { Job, ModelJob } from './job';
import { ProjectInfo } from './project';

/** Every event pushed from the engine to front ends. */
export const events = {
  'job.progress': Job,
  'items.changed': z.object({ sourceId: z.number().int().nullable(), count: z.number().int() }),
  'issues.changed': z.object({ count: z.number().int() }),
  'project.changed': ProjectInfo.nullable(),
  /** Progress of app-level jobs (model pulls), which belong to no project. */
  'models.job': ModelJob,
} as const;

export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;
