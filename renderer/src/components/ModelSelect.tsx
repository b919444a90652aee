import { TASK_SLOT_LABELS, type TaskSlot } from '../../../main/domain/model-tasks';
import { useTaskModel } from '../api/model-settings';

interface Props {
  task: TaskSlot;
  /** '' = the project's choice for the task. */
  value: string;
  onChange(model: string): void;
}

/** A job form's model: the project's choice for the task by default, or any installed model that can do it. */
export function ModelSelect({ task, value, onChange }: Props) {
  const choice = useTaskModel(task);
  const others = (choice?.candidates ?? []).filter((c) => c.id !== choice?.model);
  return (
    <label className="model-select small" title="The model this run uses; the project's choice is set in the Models view">
      Model{' '}
      <select aria-label={`${TASK_SLOT_LABELS[task]} model`} data-testid={`model-select-${task}`} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{choice?.model ?? 'none installed'} (project)</option>
        {others.map((c) => (
          <option key={c.id} value={c.id}>{c.id}</option>
        ))}
      </select>
    </label>
  );
}

/** `{ model }` for a call when the form chose one other than the project's. */
export const withModel = (model: string) => (model ? { model } : {});
