// Model management methods: list, pull (a job), import, validate, remove.
import { z } from 'zod';
import { ModelJob } from '../../domain/job';
import { HeadSummary, ModelTaskName, ValidationReport } from '../../domain/model-report';

export { ValidationReport };

const modelId = z.string().min(1).max(128).regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ - only');
const dtype = z.string().min(1).max(32).regex(/^[a-z0-9]+$/, 'a dtype name such as fp32, fp16, quantized');

/** A model pull is a job like any other, plus the model it installs. */
export { ModelJob };

export const ModelInfo = z.object({
  id: z.string(),
  name: z.string(),
  task: ModelTaskName,
  licence: z.string().nullable(),
  description: z.string().nullable(),
  builtin: z.boolean(),
  installed: z.boolean(),
  /** Folder of the installed model. */
  path: z.string().nullable(),
  repo: z.string().nullable(),
  defaultDtype: z.string().nullable(),
  /** Dtypes the registry offers, with approximate download sizes. */
  offered: z.array(z.object({ dtype: z.string(), approxBytes: z.number() })),
  /** Dtypes present on disk, with their graphs' bytes. */
  installedDtypes: z.array(z.object({ dtype: z.string(), bytes: z.number() })),
  installedBytes: z.number().nullable(),
  /** The running pull of this model, if any. */
  pullJobId: z.number().int().nullable(),
  /** A distilled classification head's card (classes, training size, accuracy, the embedding model it reads). */
  head: HeadSummary.nullable().optional(),
});

export const modelMethods = {
  'models.list': () => ({ input: z.object({}).strict(), output: z.array(ModelInfo) }),
  'models.pull': () => ({ input: z.object({ id: modelId, dtype: dtype.optional() }).strict(), output: ModelJob }),
  /** Model pulls of this session (they belong to the app, not to a project), newest first. */
  'models.jobs': () => ({ input: z.object({}).strict(), output: z.array(ModelJob) }),
  'models.cancel': () => ({ input: z.object({ jobId: z.number().int().positive() }).strict(), output: ModelJob }),
  'models.import': () => ({
    input: z.object({ path: z.string().min(1).max(4096), id: modelId.optional() }).strict(),
    output: z.object({ id: z.string(), path: z.string(), report: ValidationReport }),
  }),
  'models.validate': () => ({ input: z.object({ id: modelId, dtype: dtype.optional() }).strict(), output: ValidationReport }),
  'models.remove': () => ({ input: z.object({ id: modelId }).strict(), output: z.object({ id: z.string(), removed: z.literal(true) }) }),
} as const;

export type ModelInfoT = z.output<typeof ModelInfo>;
export type ModelJobT = z.output<typeof ModelJob>;
export type ValidationReportT = z.output<typeof ValidationReport>;
