import { z } from 'zod';

const ProviderAttempt = z.object({ provider: z.string(), ok: z.boolean(), reason: z.string().optional() });

export const VisionStatus = z.object({
  model: z.string(),
  dim: z.number().int(),
  provider: z.string(),
  attempts: z.array(ProviderAttempt),
  hash: z.string(),
});

export const EmbeddingSetInfo = z.object({
  model: z.string(), dim: z.number().int(), modelHash: z.string().nullable(), images: z.number().int(), texts: z.number().int(),
});

const modelId = z.string().min(1).max(200);

/** Whether the project's images are in the model's domain (see main/engine/vision/model-fit.ts). */
export const ModelFit = z.object({
  model: z.string(),
  verdict: z.enum(['fits', 'outside', 'not-assessed']),
  sampled: z.number().int(),
  medianTop1: z.number().nullable(),
  threshold: z.number().nullable(),
  message: z.string(),
});

/** The loaded model (and the execution provider it really runs on) and embedding jobs. */
export const visionMethods = {
  'vision.status': () => ({ input: z.object({ model: modelId.optional() }).strict(), output: VisionStatus }),
  'embed.start': () => ({ input: z.object({ model: modelId.optional() }).strict(), output: z.object({ jobId: z.number().int() }) }),
  'embeddings.list': () => ({ input: z.object({}).strict(), output: z.array(EmbeddingSetInfo) }),
  'models.fit': () => ({ input: z.object({ model: modelId.optional() }).strict(), output: ModelFit }),
} as const;
