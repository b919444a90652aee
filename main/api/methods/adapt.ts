// Few-shot adaptation from reviews (main/engine/adapt): fit + apply as a labeling run, its reports,
// the review queue ordered by usefulness, distilling the head, and per-class detection thresholds.
import { z } from 'zod';
import { AdaptReport, AdaptStrategy, HeadCard, RegionThreshold } from '../../domain/adapt';
import { ClassSpecSchema } from './labels';

const absPath = z.string().min(1).max(4096);

export const adaptMethods = {
  /** Adapts the latest single-label run's classifier to the reviews and relabels unreviewed items; `head` labels with a distilled head instead. */
  'adapt.run': () => ({
    input: z.object({
      model: z.string().min(1).max(200).optional(),
      classes: z.array(ClassSpecSchema).min(2).max(1000).optional(),
      templates: z.array(z.string().trim().min(1).max(200)).min(1).max(64).optional(),
      k: z.number().int().min(1).max(20).optional(),
      threshold: z.number().min(0).max(1).optional(),
      /** A distilled head folder (absolute path) or the id of a head installed in the Models view. */
      head: absPath.optional(),
    }).strict(),
    output: z.object({ jobId: z.number().int() }),
  }),
  /** Every finished adaptation, oldest first: training-set size and cross-validated accuracy (the chart). */
  'adapt.reports': () => ({ input: z.object({}).strict(), output: z.array(AdaptReport) }),
  /** Items with pending label proposals, most useful to review first. */
  'adapt.queue': () => ({
    input: z.object({ strategy: AdaptStrategy, limit: z.number().int().min(1).max(1000).default(100), model: z.string().min(1).max(200).optional() }).strict(),
    output: z.array(z.object({ itemId: z.number().int(), confidence: z.number(), margin: z.number() })),
  }),
  /** Writes the adapted classifier (latest, or of `job`) as a model folder: head.onnx + winnow-head.json + README.md. */
  'adapt.distill': () => ({ input: z.object({ out: absPath, job: z.number().int().optional() }).strict(), output: HeadCard }),
  'adapt.regions': () => ({ input: z.object({}).strict(), output: z.array(RegionThreshold) }),
} as const;
