// The project's model per task and its calibration overrides (models.choices / choose / calibration / calibrate).
import { useQuery } from '@tanstack/react-query';
import type { MethodInput } from '../../../main/api/contract';
import type { TaskSlot } from '../../../main/domain/model-tasks';
import { api } from './client';
import { queryClient } from './queries';

const choicesKey = ['models', 'choices'] as const;
const calibrationKey = (model: string | null) => ['models', 'calibration', model] as const;

/** What each task runs with (the project's choice, else the default) and the installed models that can do it. */
export function useTaskChoices(enabled = true) {
  return useQuery({ queryKey: choicesKey, queryFn: () => api.call('models.choices', {}), enabled });
}

/** The model a task runs with when a form names none. */
export function useTaskModel(task: TaskSlot) {
  return useTaskChoices().data?.find((c) => c.task === task);
}

export async function chooseTaskModel(task: TaskSlot, model: string | null): Promise<void> {
  queryClient.setQueryData(choicesKey, await api.call('models.choose', { task, model }));
  await queryClient.invalidateQueries({ queryKey: ['models', 'vision.status'] });
}

export function useCalibration(model: string | null) {
  return useQuery({ queryKey: calibrationKey(model), queryFn: () => api.call('models.calibration', model ? { model } : {}), enabled: model !== null });
}

export async function calibrate(input: MethodInput<'models.calibrate'>): Promise<void> {
  queryClient.setQueryData(calibrationKey(input.model), await api.call('models.calibrate', input));
}
