// models.choices / choose / calibration / calibrate → the project's model settings (engine/store/model-settings.ts).
import { checkCalibrationValue } from '../domain/calibration';
import { canServe, TASK_SLOT_LABELS, TASK_SLOTS, type CalibrationKey, type TaskSlot } from '../domain/model-tasks';
import type { Engine } from '../engine/engine';
import { calibrationOf, defaultModelFor, modelFor } from '../engine/vision/task-models';
import { ApiError } from './contract';
import type { HandlersFor } from './handlers';
import type { modelSettingsMethods, TaskChoiceT } from './methods/model-settings';

export function modelSettingsHandlers(engine: Engine): HandlersFor<keyof typeof modelSettingsMethods> {
  const project = () => engine.requireProject();

  const choices = async (): Promise<TaskChoiceT[]> => {
    const installed = (await engine.models.list()).filter((m) => m.installed);
    const chosen = project().modelSettings.choices();
    const refineDefault = installed.find((m) => m.task === 'mask-generation')?.id ?? null;
    return TASK_SLOTS.map((task) => {
      const fallback = task === 'refine' ? refineDefault : defaultModelFor(task) ?? null;
      return {
        task, label: TASK_SLOT_LABELS[task],
        model: chosen[task] ?? fallback, chosen: chosen[task] ?? null, default: fallback,
        candidates: installed.filter((m) => canServe(task, m.task)).map((m) => ({ id: m.id, name: m.name })),
      };
    });
  };

  const calibration = async (model: string) => ({ model, entries: await calibrationOf(engine.models, project(), model) });

  return {
    'models.choices': () => choices(),
    'models.choose': async ({ task, model }) => {
      const p = project();
      p.requireOwner();
      if (model !== null) {
        const listing = (await engine.models.list()).find((m) => m.id === model);
        if (!listing) throw new ApiError('not_found', `unknown model '${model}'`);
        if (!listing.installed) throw new ApiError('conflict', `model '${model}' is not installed: pull it first`);
        if (!canServe(task as TaskSlot, listing.task)) throw new ApiError('bad_input', `${model} (${listing.task}) cannot do ${TASK_SLOT_LABELS[task]}`);
      }
      p.modelSettings.choose(task, model);
      engine.events.emit('project.changed', p.info());
      return choices();
    },
    'models.calibration': ({ model }) => calibration(model ?? modelFor(project(), 'labels')!),
    'models.calibrate': async ({ model, set, reset }) => {
      const p = project();
      p.requireOwner();
      if (!(await engine.models.list()).some((m) => m.id === model)) throw new ApiError('not_found', `unknown model '${model}'`);
      // Every value is checked before any is stored: a bad one leaves the overrides as they were.
      const checked: [CalibrationKey, number | string[]][] = [];
      for (const [key, value] of Object.entries(set ?? {}) as [CalibrationKey, unknown][]) {
        try {
          checked.push([key, checkCalibrationValue(key, value)]);
        } catch (err) {
          throw new ApiError('bad_input', `models.calibrate: ${(err as Error).message}`);
        }
      }
      p.db.transaction(() => {
        if (reset) p.modelSettings.reset(model, reset === 'all' ? undefined : reset);
        for (const [key, value] of checked) p.modelSettings.setOverride(model, key, value);
      })();
      return calibration(model);
    },
  };
}
