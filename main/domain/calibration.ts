// The calibration block of a model's registry entry (or a project's override of it): defaults that depend
// on the model, each with where its number comes from. Keys and labels: model-tasks.ts.
import { z } from 'zod';
import { CALIBRATION_KEYS, type CalibrationKey, TASK_SLOTS } from './model-tasks';

export { parseCalibrationValue } from './model-tasks';

const template = z.string().trim().min(1).max(200).refine((t) => t.includes('{}'), 'a template needs {} where the class name goes');

export const CalibrationValues = z.object({
  pairThreshold: z.number().min(-1).max(1),
  semanticCosine: z.number().min(0.5).max(1),
  semanticCandidate: z.number().min(0.5).max(1),
  labelThreshold: z.number().min(0).max(1),
  labelTemplates: z.array(template).min(1).max(64),
  logitScale: z.number().positive().max(1000),
  detectThreshold: z.number().min(0).max(1),
  maskMargin: z.number().min(0).max(1),
  reviewMinScore: z.number().min(0).max(1),
}).partial().strict();
export type CalibrationValuesT = z.output<typeof CalibrationValues>;

/** A registry entry's block: values plus, for every value, its source (a paper, a measurement in this repository). */
export const CalibrationBlock = CalibrationValues.extend({ sources: z.partialRecord(z.enum(CALIBRATION_KEYS), z.string().min(1)) })
  .strict()
  .superRefine((block, ctx) => {
    for (const key of CALIBRATION_KEYS) {
      if (block[key] !== undefined && !block.sources[key]) ctx.addIssue({ code: 'custom', path: ['sources', key], message: `${key} needs a documented source` });
    }
  });
export type CalibrationBlockT = z.output<typeof CalibrationBlock>;

/** Checks one value against its key's schema; the error names the key. */
export function checkCalibrationValue(key: CalibrationKey, value: unknown): number | string[] {
  const parsed = CalibrationValues.safeParse({ [key]: value });
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || key}: ${i.message}`).join('; '));
  return parsed.data[key] as number | string[];
}

export const TaskSlotName = z.enum(TASK_SLOTS);

/** One key as a project sees it: the model's default, the project's override, and which one applies. */
export const CalibrationEntry = z.object({
  key: z.enum(CALIBRATION_KEYS),
  label: z.string(),
  modelValue: z.union([z.number(), z.array(z.string())]).nullable(),
  /** Where the model's value comes from (registry entry source, or the model folder). */
  modelSource: z.string().nullable(),
  override: z.union([z.number(), z.array(z.string())]).nullable(),
  value: z.union([z.number(), z.array(z.string())]).nullable(),
  from: z.enum(['project', 'model', 'none']),
});
export type CalibrationEntryT = z.output<typeof CalibrationEntry>;
