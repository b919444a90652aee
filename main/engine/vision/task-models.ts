// Which model a task runs with, and the calibration values it runs with. Model: the call's explicit model,
// else the project's choice for the task, else the default (the built-in model; refine: the first installed
// Segment Anything). A value: the call's explicit value, else the project's override for that model, else
// the model's registry entry, else the model folder's config.json `winnow.calibration`, else an error.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CalibrationBlock, type CalibrationBlockT, type CalibrationEntryT } from '../../domain/calibration';
import { ApiError } from '../../domain/errors';
import { CALIBRATION_KEYS, CALIBRATION_LABELS, type CalibrationKey, type CalibrationValue, type TaskSlot } from '../../domain/model-tasks';
import type { Project } from '../project';
import { DEFAULT_MODEL } from './active-model';
import type { ModelManager } from './model-manager';

/** The model a task uses when neither the call nor the project names one (refine: undefined = first installed SAM). */
export function defaultModelFor(task: TaskSlot): string | undefined {
  return task === 'refine' ? undefined : DEFAULT_MODEL;
}

/** explicit > the project's choice for `task` > the default. */
export function modelFor(project: Project | null, task: TaskSlot, explicit?: string): string | undefined {
  return explicit ?? project?.modelSettings.choice(task) ?? defaultModelFor(task);
}

/** Same, for the tasks that always have a default model. */
export function requireModelFor(project: Project | null, task: Exclude<TaskSlot, 'refine'>, explicit?: string): string {
  return modelFor(project, task, explicit)!;
}

async function folderBlock(models: ModelManager, model: string): Promise<CalibrationBlockT | undefined> {
  const dir = await models.resolve(model).catch(() => undefined);
  if (!dir) return undefined;
  const config = await readFile(path.join(dir, 'config.json'), 'utf8').then((t) => JSON.parse(t) as { winnow?: { calibration?: unknown } }, () => undefined);
  const parsed = CalibrationBlock.safeParse(config?.winnow?.calibration);
  return parsed.success ? parsed.data : undefined;
}

/** Every calibration key of `model` as the project sees it. */
export async function calibrationOf(models: ModelManager, project: Project | null, model: string): Promise<CalibrationEntryT[]> {
  const entry = (await models.registryEntry(model))?.calibration;
  const folder = entry ? undefined : await folderBlock(models, model);
  const overrides = project?.modelSettings.overrides(model) ?? {};
  return CALIBRATION_KEYS.map((key) => {
    const fromEntry = entry?.[key] as CalibrationValue | undefined;
    const fromFolder = folder?.[key] as CalibrationValue | undefined;
    const modelValue = fromEntry ?? fromFolder ?? null;
    const modelSource = fromEntry !== undefined ? entry!.sources[key] ?? null : fromFolder !== undefined ? `${model}/config.json: ${folder!.sources[key] ?? ''}`.trim() : null;
    const override = overrides[key] ?? null;
    const value = override ?? modelValue;
    return { key, label: CALIBRATION_LABELS[key], modelValue, modelSource, override, value, from: override !== null ? 'project' : modelValue !== null ? 'model' : 'none' };
  });
}

/** The resolved values of one model, read by a job when it starts. */
export class Calibration {
  private constructor(readonly model: string, private readonly entries: Map<CalibrationKey, CalibrationEntryT>) {}

  static async load(models: ModelManager, project: Project | null, model: string): Promise<Calibration> {
    return new Calibration(model, new Map((await calibrationOf(models, project, model)).map((e) => [e.key, e])));
  }

  /** The value (explicit > project override > model), or undefined when nothing gives one. */
  get<T extends CalibrationValue>(key: CalibrationKey, explicit?: T): T | undefined {
    return explicit ?? (this.entries.get(key)?.value as T | null) ?? undefined;
  }

  /** Like get, but a missing value is a clear error: a model-dependent default is never guessed. */
  require<T extends CalibrationValue>(key: CalibrationKey, explicit?: T): T {
    const value = this.get<T>(key, explicit);
    if (value === undefined) {
      throw new ApiError('bad_input', `${this.model} has no ${key} (${CALIBRATION_LABELS[key]}): pass it explicitly, or set it for this project with "winnow models calibrate --model ${this.model} --set ${key}=…" or in the Models view`);
    }
    return value;
  }

  /** Which layer each given key came from, for the run's record. */
  provenance(keys: readonly CalibrationKey[], explicit: Partial<Record<CalibrationKey, unknown>> = {}): Record<string, string> {
    return Object.fromEntries(keys.map((k) => [k, explicit[k] !== undefined ? 'explicit' : this.entries.get(k)?.from ?? 'none']));
  }
}
