// Embedding-based signals: zero-shot labels, image-caption pair scores, concept scores.
// Imports only zod: contract.ts imports this file, so it cannot import from it.
import { z } from 'zod';

const modelId = z.string().min(1).max(200);
const text = z.string().trim().min(1).max(200);

export const ClassSpecSchema = z.object({
  name: text,
  synonyms: z.array(text).max(32).optional(),
  description: z.string().max(500).optional(),
}).strict();

export const LabelCountsSchema = z.object({
  run: z.enum(['zero-shot', 'multi-label', 'adapted']).nullable(),
  model: z.string().nullable(),
  labels: z.array(z.object({ label: z.string(), count: z.number().int() })),
  uncertain: z.number().int(),
  scored: z.number().int(),
});

const jobId = z.object({ jobId: z.number().int() });

export const LabelRunSchema = z.object({
  runId: z.number().int(), jobId: z.number().int().nullable(), run: z.enum(['zero-shot', 'multi-label', 'adapted']), model: z.string().nullable(),
  classes: z.array(z.string()), startedAt: z.string(), finishedAt: z.string().nullable(),
  labeled: z.number().int(), current: z.number().int(), counts: z.array(z.object({ label: z.string(), count: z.number().int() })),
});

export const labelMethods = {
  /** Zero-shot labeling job; queues an embed job first when the model's embeddings are incomplete. */
  'labels.run': () => ({
    input: z.object({
      model: modelId.optional(),
      classes: z.array(ClassSpecSchema).min(2).max(1000),
      /** Prompt templates; `{}` is the class name. Default: labels.defaults. */
      templates: z.array(z.string().trim().min(1).max(200)).min(1).max(64).optional(),
      k: z.number().int().min(1).max(20).optional(),
      /** Single-label: top-1 probability below which an item is uncertain (default 0.3). Multi-label: probability cutoff (default 0.5). */
      threshold: z.number().min(0).max(1).optional(),
      multiLabel: z.boolean().optional(),
      /** Multi-label: cosine threshold t_c per class name (default: automatic per class). */
      thresholds: z.record(z.string(), z.number().min(-1).max(1)).optional(),
    }).strict().refine((v) => new Set(v.classes.map((c) => c.name)).size === v.classes.length, 'class names must be unique'),
    output: jobId,
  }),
  'labels.counts': () => ({ input: z.object({ run: z.enum(['zero-shot', 'multi-label', 'adapted']).optional() }).strict(), output: LabelCountsSchema }),
  /** Every labeling run, newest first: runs add up, and an item's current label is its reviewed one, else the newest run's. */
  'labels.runs': () => ({ input: z.object({}).strict(), output: z.array(LabelRunSchema) }),
  /** Defaults for the labels model (`model`, else the project's choice): templates and threshold come from its calibration (null: it has none). */
  'labels.defaults': () => ({
    input: z.object({ model: modelId.optional() }).strict(),
    output: z.object({ model: z.string(), templates: z.array(z.string()), k: z.number().int(), threshold: z.number().nullable(), multiThreshold: z.number(), uncertainLabel: z.string() }),
  }),
  'pairscore.run': () => ({ input: z.object({ model: modelId.optional() }).strict(), output: jobId }),
  'concepts.run': () => ({
    input: z.object({ prompts: z.array(text).min(1).max(32), model: modelId.optional() }).strict(),
    output: jobId.extend({ signals: z.array(z.string()) }),
  }),
} as const;

export type ClassSpecT = z.output<typeof ClassSpecSchema>;
export type LabelCountsT = z.output<typeof LabelCountsSchema>;
export type LabelRunT = z.output<typeof LabelRunSchema>;
