// A project's model settings: the chosen model per task and its calibration overrides (main/engine/vision/task-models.ts).
import { z } from 'zod';
import { CalibrationEntry, TaskSlotName } from '../../domain/calibration';
import { CALIBRATION_KEYS } from '../../domain/model-tasks';

const modelId = z.string().min(1).max(128).regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, . _ - only');
const CalibrationKeyName = z.enum(CALIBRATION_KEYS);

export const TaskChoice = z.object({
  task: TaskSlotName,
  label: z.string(),
  /** The model the task runs with now (the project's choice, else the default); null: refine with no SAM installed. */
  model: z.string().nullable(),
  /** The project's own choice, or null when the default applies. */
  chosen: z.string().nullable(),
  default: z.string().nullable(),
  /** Installed models that can do this task. */
  candidates: z.array(z.object({ id: z.string(), name: z.string() })),
});

export const ModelCalibration = z.object({ model: z.string(), entries: z.array(CalibrationEntry) });

export const modelSettingsMethods = {
  'models.choices': () => ({ input: z.object({}).strict(), output: z.array(TaskChoice) }),
  /** Chooses the project's model for a task (null: back to the default). */
  'models.choose': () => ({ input: z.object({ task: TaskSlotName, model: modelId.nullable() }).strict(), output: z.array(TaskChoice) }),
  /** A model's calibration as this project sees it (default model: the labels task's). */
  'models.calibration': () => ({ input: z.object({ model: modelId.optional() }).strict(), output: ModelCalibration }),
  /** Sets (`set`) or drops (`reset`; 'all') the project's overrides of a model's calibration values. */
  'models.calibrate': () => ({
    input: z.object({
      model: modelId,
      set: z.partialRecord(CalibrationKeyName, z.unknown()).optional(),
      reset: z.union([z.array(CalibrationKeyName).max(CALIBRATION_KEYS.length), z.literal('all')]).optional(),
    }).strict(),
    output: ModelCalibration,
  }),
} as const;

export type TaskChoiceT = z.output<typeof TaskChoice>;
export type ModelCalibrationT = z.output<typeof ModelCalibration>;
