// Every event the engine pushes to front ends, with its payload's schema.
import { z } from 'zod';
import { Job, ModelJob } from './job';
import { ProjectInfo } from './project';

/** Every event pushed from the engine to front ends. */
export const events = {
  'job.progress': Job,
  'items.changed': z.object({ sourceId: z.number().int().nullable(), count: z.number().int() }),
  'issues.changed': z.object({ count: z.number().int() }),
  // Domain changes, each emitted where the write is committed (a job's batch commit, a review edit, a
  // selection save); front ends invalidate what reads that data instead of guessing from job kinds.
  /** Per-item signals (statistics, labels, pair scores, concepts) were written; jobId null: not by a job. */
  'signals.changed': z.object({ jobId: z.number().int().nullable() }),
  /** Duplicate groups or their keepers changed. */
  'duplicates.changed': z.object({ jobId: z.number().int().nullable() }),
  /** Annotations (detections, masks, labels under review) were added, edited or decided; itemIds null: many. */
  'annotations.changed': z.object({ jobId: z.number().int().nullable(), itemIds: z.array(z.number().int()).nullable() }),
  /** Image or text embeddings were written. */
  'embeddings.changed': z.object({ jobId: z.number().int().nullable() }),
  /** Decisions by hand or tags changed on these items (null: many). */
  'decisions.changed': z.object({ itemIds: z.array(z.number().int()).nullable() }),
  /** A saved selection was saved or deleted. */
  'selections.changed': z.object({ name: z.string() }),
  /** A saved view was saved, renamed or deleted. */
  'views.changed': z.object({ name: z.string() }),
  'project.changed': ProjectInfo.nullable(),
  /** Progress of app-level jobs (model pulls), which belong to no project. */
  'models.job': ModelJob,
} as const;

export type EventName = keyof typeof events;
/** What a job kind writes: the runner emits `<domain>.changed` after each batch commit it makes. */
export type JobWrites = 'signals' | 'duplicates' | 'annotations' | 'embeddings';
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;
