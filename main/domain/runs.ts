// A run: one execution of a job that wrote signals, annotations or duplicate groups (store/runs.ts).
import { z } from 'zod';

export const Run = z.object({
  id: z.number().int(),
  /** The job kind that made it (curate.stats, curate.label, detect.run, ...). */
  kind: z.string(),
  jobId: z.number().int().nullable(),
  model: z.string().nullable(),
  /** sha256 of the model's ONNX graphs. */
  modelHash: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
  /** Rows it left, per signal name, `annotations.<kind>` and `dup_groups.<kind>`; null while running. */
  counts: z.record(z.string(), z.number()).nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RunT = z.output<typeof Run>;
