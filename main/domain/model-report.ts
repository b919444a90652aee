// What validating a model folder reports and what a model pull produced: shapes shared by the engine
// (the model.pull job's result schema) and the API (models.validate, models.import).
import { z } from 'zod';

export const ModelTaskName = z.enum(['clip', 'zero-shot-object-detection', 'image-segmentation', 'mask-generation', 'classification-head', 'unknown']);

/** What the Models view shows of a distilled classification head (its winnow-head.json card). */
export const HeadSummary = z.object({
  embeddingModel: z.string(), dim: z.number().int(), classes: z.array(z.string()), method: z.string(),
  trainingSize: z.number().int(), accuracy: z.number(), zeroShotAccuracy: z.number(),
});
export type HeadSummaryT = z.output<typeof HeadSummary>;

const TensorInfo = z.object({ name: z.string(), type: z.string(), shape: z.array(z.union([z.number(), z.string()])).readonly() });

export const ValidationReport = z.object({
  ok: z.boolean(),
  folder: z.string(),
  task: ModelTaskName,
  dtype: z.string().optional(),
  problems: z.array(z.string()),
  graphs: z.array(z.object({ file: z.string(), provider: z.string(), inputs: z.array(TensorInfo), outputs: z.array(TensorInfo) })),
  clip: z
    .object({ dim: z.number(), logitScale: z.number(), imageSize: z.tuple([z.number(), z.number()]), sequenceLength: z.number(), dtypes: z.array(z.string()) })
    .optional(),
  /** For a distilled classification head: its card. */
  head: HeadSummary.optional(),
});

export const DownloadedFile = z.object({
  path: z.string(),
  bytes: z.number(),
  sha256: z.string(),
  verification: z.enum(['registry', 'lock', 'etag', 'unverified']),
  resumed: z.boolean(),
});

export const PullResult = z.object({ id: z.string(), path: z.string(), dtype: z.string(), files: z.array(DownloadedFile), report: ValidationReport });
