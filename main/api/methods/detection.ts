// Zero-shot detection / segmentation jobs and the review of their proposals (and of zero-shot label
// proposals): decisions, edits, undo/redo, the uncertainty-ordered queue.
// Imports only zod: contract.ts imports this file, so it cannot import from it.
import { z } from 'zod';

const modelId = z.string().min(1).max(200);
const label = z.string().trim().min(1).max(200);
const annId = z.number().int().positive();
const num = z.number().finite();
const Bbox = z.tuple([num.min(0), num.min(0), num.positive(), num.positive()]);
const Rle = z.object({ size: z.tuple([z.number().int().positive(), z.number().int().positive()]), counts: z.array(z.number().int().min(0)).max(10_000_000) }).strict();
const Kind = z.enum(['box', 'mask', 'label']);
const user = z.string().min(1).max(200).optional();

export const ReviewAnnotationSchema = z.object({
  id: z.number().int(), itemId: z.number().int(), kind: Kind, label: z.string(), score: z.number().nullable(),
  bbox: z.tuple([z.number(), z.number(), z.number(), z.number()]).nullable(),
  rle: z.object({ size: z.tuple([z.number(), z.number()]), counts: z.array(z.number()) }).nullable(),
  origin: z.string(), params: z.record(z.string(), z.unknown()).nullable(),
  state: z.enum(['source', 'proposed', 'accepted', 'rejected', 'edited']),
  createdBy: z.string(), updatedBy: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(), uncertainty: z.number().nullable(),
  /** The job run (runs.list) that proposed it; null for source and hand-drawn annotations. */
  runId: z.number().int().nullable(),
});

/** `minScore`: proposals below it stay out of the queue (default: the labels model's calibration `reviewMinScore`, see reviewFloor); 0 shows all. */
const QueueFilter = z.object({ kinds: z.array(Kind).max(3).optional(), label: label.optional(), minScore: z.number().min(0).max(1).optional() }).strict();
const Progress = z.object({ reviewed: z.number().int(), total: z.number().int() });
const Edited = z.object({ annotations: z.array(ReviewAnnotationSchema), canUndo: z.boolean(), canRedo: z.boolean() });
const HistoryStep = z.object({ action: z.string().nullable(), itemIds: z.array(z.number().int()), canUndo: z.boolean(), canRedo: z.boolean() });

export const detectionMethods = {
  /** Zero-shot detection (boxes; with `segment`, masks too) over a saved selection (default: every item). */
  'detect.run': () => ({
    input: z.object({
      queries: z.array(label).min(1).max(64),
      model: modelId.optional(),
      threshold: z.number().min(0).max(1).optional(),
      thresholds: z.record(z.string(), z.number().min(0).max(1)).optional(),
      /** Per-class minimum proposal score (from adapt.regions): the detector runs as usual, lower-scoring proposals are dropped. */
      minScores: z.record(z.string(), z.number().min(0).max(1)).optional(),
      /** Dense (built-in) detection: probability a mask pixel needs (default threshold + 0.15). */
      maskThreshold: z.number().min(0).max(1).optional(),
      /** Dense (built-in) detection: the model's other known phrases veto look-alikes (default true; false = higher recall, many more false positives on absent queries). */
      negatives: z.boolean().optional(),
      selection: z.string().min(1).max(200).nullable().optional(),
      segment: z.boolean().optional(),
      /** Adapt scores to the reviewed proposals of these queries (a region cache over their crops with a cross-validated cut). */
      regionCache: z.boolean().optional(),
    }).strict(),
    output: z.object({ jobId: z.number().int() }),
  }),
  /** Proposals per label written by one detection job. */
  'detect.counts': () => ({ input: z.object({ jobId: z.number().int().positive() }).strict(), output: z.array(z.object({ label: z.string(), count: z.number().int() })) }),
  'review.queue': () => ({
    input: z.object({ filter: QueueFilter.optional(), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(10_000).default(1000) }).strict(),
    output: z.object({
      items: z.array(z.object({ itemId: z.number().int(), pending: z.number().int(), total: z.number().int(), uncertainty: z.number().nullable() })),
      progress: Progress, labels: z.array(z.string()), canUndo: z.boolean(), canRedo: z.boolean(),
      /** Image-label classes and detection queries apart, each in its newest run's order. */
      classes: z.object({ labels: z.array(z.string()), queries: z.array(z.string()) }),
      /** The score floor applied, and how many proposals it leaves out. */
      minScore: z.number(), belowFloor: z.number().int(),
    }),
  }),
  'review.item': () => ({
    input: z.object({ itemId: annId }).strict(),
    output: z.object({ itemId: z.number().int(), width: z.number().int().nullable(), height: z.number().int().nullable(), annotations: z.array(ReviewAnnotationSchema) }),
  }),
  'review.decide': () => ({ input: z.object({ ids: z.array(annId).min(1).max(10_000), state: z.enum(['accepted', 'rejected', 'proposed']), user }).strict(), output: Edited }),
  'review.relabel': () => ({ input: z.object({ id: annId, label, user }).strict(), output: Edited }),
  /** `nudge`: a keyboard step; nudges of the same box in a row are one undo step. */
  'review.setBox': () => ({ input: z.object({ id: annId, bbox: Bbox, nudge: z.boolean().optional(), user }).strict(), output: Edited }),
  'review.setMask': () => ({ input: z.object({ id: annId, rle: Rle, user }).strict(), output: Edited }),
  'review.add': () => ({ input: z.object({ itemId: annId, label, bbox: Bbox, kind: z.enum(['box', 'mask']).optional(), rle: Rle.optional(), user }).strict(), output: Edited }),
  'review.delete': () => ({ input: z.object({ id: annId, user }).strict(), output: Edited }),
  'review.acceptAbove': () => ({ input: z.object({ threshold: z.number().min(0).max(1), filter: QueueFilter.optional(), user }).strict(), output: z.object({ count: z.number().int(), progress: Progress }) }),
  /** A Segment Anything mask from the annotation's box (and optional clicks, image pixels): undoable like any edit. */
  'review.refine': () => ({
    input: z.object({
      id: annId,
      points: z.array(z.object({ x: z.number().min(0), y: z.number().min(0), label: z.union([z.literal(0), z.literal(1)]) })).max(32).optional(),
      model: z.string().min(1).max(200).optional(),
      user,
    }).strict(),
    output: Edited,
  }),
  'review.undo': () => ({ input: z.object({}).strict(), output: HistoryStep }),
  'review.redo': () => ({ input: z.object({}).strict(), output: HistoryStep }),
} as const;

export type ReviewAnnotationT = z.output<typeof ReviewAnnotationSchema>;
