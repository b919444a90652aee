// Few-shot adaptation from reviews: which classifier the cross-validation chose, how accurate it is
// estimated to be, how the review queue can be ordered by usefulness, and the distilled model's card.
import { z } from 'zod';

/** zero-shot: the text classifier unchanged; cache: Tip-Adapter over reviewed embeddings; probe: logistic regression. */
export const AdaptMethod = z.enum(['zero-shot', 'cache', 'probe']);
export type AdaptMethodT = z.output<typeof AdaptMethod>;

/** Review-queue orders: what most improves the adapted classifier next. */
export const AdaptStrategy = z.enum(['uncertainty', 'margin', 'diverse', 'random']);
export type AdaptStrategyT = z.output<typeof AdaptStrategy>;

/** One candidate of the cross-validation grid with its estimated accuracy. */
export const AdaptCandidate = z.object({
  method: AdaptMethod,
  /** Cache: α (value scale) and β (sharpness); probe: λ (pull towards the text classifier) and w (blend weight). */
  params: z.record(z.string(), z.number()),
  accuracy: z.number(),
  logLoss: z.number(),
});
export type AdaptCandidateT = z.output<typeof AdaptCandidate>;

/** The estimated accuracy after the first `reviews` reviews (cross-validated on them; folds 0: too few to estimate). */
export const AdaptCurvePoint = z.object({ reviews: z.number().int(), accuracy: z.number(), zeroShot: z.number(), method: AdaptMethod, folds: z.number().int() });
export type AdaptCurvePointT = z.output<typeof AdaptCurvePoint>;

/** What one adaptation fit measured: it is kept per run, so the UI can chart accuracy as reviews accumulate. */
export const AdaptReport = z.object({
  job: z.number().int(),
  at: z.string(),
  model: z.string(),
  classes: z.array(z.string()),
  /** Reviewed examples used (with a known label / with rejections only). */
  trainingSize: z.number().int(),
  labelled: z.number().int(),
  rejectedOnly: z.number().int(),
  folds: z.number().int(),
  chosen: AdaptCandidate,
  /** The text classifier's cross-validated accuracy on the same reviews. */
  zeroShot: AdaptCandidate,
  /** Items the run labelled (the unreviewed embedded items). */
  applied: z.number().int(),
  seconds: z.number(),
  /** Set when the run labelled with a distilled head folder instead of fitting. */
  head: z.string().optional(),
  /** Estimated accuracy over review prefixes (first 10, 20, 50, … reviews in review order, then all). */
  curve: z.array(AdaptCurvePoint).optional(),
});
export type AdaptReportT = z.output<typeof AdaptReport>;

/** Per-class detection thresholds learned from reviewed boxes. */
export const RegionThreshold = z.object({
  label: z.string(),
  accepted: z.number().int(),
  rejected: z.number().int(),
  /** The score cut that keeps every accepted box it can while dropping the most rejected ones; null without reviews. */
  threshold: z.number().nullable(),
  /** Rejected proposals per accepted one among the reviewed boxes, before and after the cut. */
  rejectsPerAcceptBefore: z.number().nullable(),
  rejectsPerAcceptAfter: z.number().nullable(),
});
export type RegionThresholdT = z.output<typeof RegionThreshold>;

/** The model card of a distilled head (written next to the ONNX file as winnow-head.json). */
export const HeadCard = z.object({
  format: z.literal('winnow-adapted-head'),
  version: z.literal(1),
  /** The embedding model the head reads (its image embeddings are the head's input). */
  embeddingModel: z.string(),
  embeddingModelHash: z.string().nullable(),
  dim: z.number().int(),
  classes: z.array(z.string()),
  method: AdaptMethod,
  params: z.record(z.string(), z.number()),
  trainingSize: z.number().int(),
  /** Cross-validated accuracy on the reviews (and the zero-shot classifier's, for comparison). */
  accuracy: z.number(),
  zeroShotAccuracy: z.number(),
  input: z.string(),
  outputs: z.array(z.string()),
  createdAt: z.string(),
});
export type HeadCardT = z.output<typeof HeadCard>;
