import { TASK_SLOT_LABELS } from '../../../main/domain/model-tasks';
import { useTaskChoices } from '../api/model-settings';
import { useStore } from '../state/store';

/** The project's model per task, in one short line: one id when every task uses the same model. */
export function TaskModelsStatus() {
  const hasProject = useStore((s) => s.info?.project != null);
  const { data: choices } = useTaskChoices(hasProject);
  if (!hasProject || !choices) return null;
  const used = choices.filter((c) => c.model !== null);
  const ids = [...new Set(used.map((c) => c.model))];
  const title = choices.map((c) => `${TASK_SLOT_LABELS[c.task]}: ${c.model ?? 'none installed'}${c.chosen ? '' : ' (default)'}`).join('\n');
  const text = ids.length === 1 ? `models: ${ids[0]}` : used.map((c) => `${c.task} ${c.model}`).join(' · ');
  return (
    <span className="muted" title={title} data-testid="task-models-status">
      {text}
    </span>
  );
}
