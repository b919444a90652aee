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

/** The loaded model (and the execution provider it really runs on) and embedding jobs. */
export const visionMethods = {
  'vision.status': { input: z.object({ model: modelId.optional() }).strict(), output: VisionStatus },
  'embed.start': { input: z.object({ model: modelId.optional() }).strict(), output: z.object({ jobId: z.number().int() }) },
  'embeddings.list': { input: z.object({}).strict(), output: z.array(EmbeddingSetInfo) },
} as const;
