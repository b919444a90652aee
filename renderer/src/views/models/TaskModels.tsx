import './models-settings.css';
import { TASK_SLOT_LABELS } from '../../../../main/domain/model-tasks';
import { chooseTaskModel, useTaskChoices } from '../../api/model-settings';
import { useStore } from '../../state/store';

/** The project's model per task: a select of the installed models that can do each task. */
export function TaskModels() {
  const { data: choices } = useTaskChoices();
  const report = useStore((s) => s.report);
  if (!choices) return null;
  return (
    <section className="task-models" data-testid="task-models">
      <h3>Model per task <span className="muted small">for this project; every job form and CLI command defaults to it</span></h3>
      <table className="calibration-table">
        <tbody>
          {choices.map((c) => (
            <tr key={c.task} data-testid={`task-${c.task}`}>
              <td>{TASK_SLOT_LABELS[c.task]}</td>
              <td>
                <select
                  aria-label={`Project model for ${TASK_SLOT_LABELS[c.task]}`}
                  value={c.chosen ?? ''}
                  onChange={(e) => void chooseTaskModel(c.task, e.target.value || null).catch(report)}
                >
                  <option value="">{c.default ? `${c.default} (default)` : 'first installed (none yet)'}</option>
                  {c.candidates.filter((m) => m.id !== c.default).map((m) => (
                    <option key={m.id} value={m.id}>{m.name} · {m.id}</option>
                  ))}
                </select>
              </td>
              <td className="muted small">{c.candidates.length === 0 ? 'no installed model can do this: pull one below' : c.chosen ? 'project choice' : 'default'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
