// What a labeling and a detection run with, shared by the project's jobs (main/engine/curate/label-job.ts,
// main/engine/detect/detect-job.ts) and a scale-out plan's stages (scale.ts), so both accept and mean the same settings.
import { z } from 'zod';

const ClassSpecShape = z.object({ name: z.string().min(1), synonyms: z.array(z.string()).optional(), description: z.string().optional() });

export const LabelSettings = z.object({
  classes: z.array(ClassSpecShape).min(1),
  templates: z.array(z.string()).min(1),
  /** Single-label: how many top classes to store per item. Multi-label: at most this many assigned classes. */
  k: z.number().int().positive(),
  /** Single-label: top-1 probability below which an item is uncertain. Multi-label: per-class probability cutoff. */
  threshold: z.number(),
  multiLabel: z.boolean(),
  /** Multi-label: cosine threshold t_c per class name; classes not listed are set automatically (minimum-error cut). */
  thresholds: z.record(z.string(), z.number()).optional(),
  /** Softmax temperature of cosine: the model's calibration (or a project override); the model folder's value when absent. */
  logitScale: z.number().positive().optional(),
});

export const DetectSettings = z.object({
  queries: z.array(z.string().min(1)).min(1),
  /** Score threshold: the model's calibration (the handler fills it in); a family default for OWL / CLIPSeg folders without one. */
  threshold: z.number().optional(),
  thresholds: z.record(z.string(), z.number()).optional(),
  /** Per-class minimum proposal score, learnt from reviewed boxes (adapt.regions); lower proposals are not stored. */
  minScores: z.record(z.string(), z.number()).optional(),
  /** Dense detection: probability a mask pixel needs (default threshold + 0.15). */
  maskThreshold: z.number().optional(),
  /** Dense detection: the model's other known phrases veto look-alikes (default true). */
  negatives: z.boolean().optional(),
  segment: z.boolean(),
});
