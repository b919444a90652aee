import { useEffect, useState } from 'react';
import type { CalibrationEntryT } from '../../../../main/domain/calibration';
import { parseCalibrationValue } from '../../../../main/domain/model-tasks';
import { calibrate, useCalibration, useTaskChoices } from '../../api/model-settings';
import { useStore } from '../../state/store';

const show = (v: CalibrationEntryT['value']) => (v === null ? '—' : Array.isArray(v) ? v.join(' | ') : String(v));

function Row({ model, entry }: { model: string; entry: CalibrationEntryT }) {
  const report = useStore((s) => s.report);
  const [text, setText] = useState(entry.override === null ? '' : show(entry.override));
  useEffect(() => setText(entry.override === null ? '' : show(entry.override)), [entry.override]);
  const save = () => {
    if (text.trim() === '' || text === show(entry.override)) return;
    void calibrate({ model, set: { [entry.key]: parseCalibrationValue(entry.key, text) } }).catch(report);
  };
  return (
    <tr data-testid={`calibration-${entry.key}`} data-from={entry.from}>
      <td>
        <div>{entry.label}</div>
        <div className="muted small mono">{entry.key}</div>
      </td>
      <td className="mono" title={entry.modelSource ?? 'no value for this model'}>
        {show(entry.modelValue)}
        {entry.modelSource && <div className="muted small source">{entry.modelSource}</div>}
      </td>
      <td>
        <input
          aria-label={`Project override of ${entry.key}`}
          value={text}
          placeholder="model default"
          onChange={(e) => setText(e.target.value)}
          onBlur={save}
          onKeyDown={(e) => { if (e.key === 'Enter') save(); }}
        />
      </td>
      <td>
        <span className={`pill ${entry.from === 'project' ? 'installed' : entry.from === 'model' ? 'builtin' : 'available'}`}>
          {entry.from === 'project' ? 'project override' : entry.from === 'model' ? 'model default' : 'not set'}
        </span>
        {entry.override !== null && (
          <button className="link" aria-label={`Reset ${entry.key}`} onClick={() => void calibrate({ model, reset: [entry.key] }).catch(report)}>Reset</button>
        )}
      </td>
    </tr>
  );
}

/** A model's calibrated defaults: the registry entry's value and source, and this project's override of it. */
export function CalibrationPanel() {
  const { data: choices } = useTaskChoices();
  const report = useStore((s) => s.report);
  const models = [...new Map((choices ?? []).flatMap((c) => c.candidates).map((m) => [m.id, m])).values()];
  const [model, setModel] = useState<string | null>(null);
  const current = model ?? choices?.find((c) => c.task === 'labels')?.model ?? null;
  const { data: cal } = useCalibration(current);
  if (!choices || !current) return null;
  const overridden = cal?.entries.some((e) => e.override !== null) ?? false;
  return (
    <section className="calibration" data-testid="calibration-panel">
      <h3>
        Calibration of{' '}
        <select aria-label="Calibration model" value={current} onChange={(e) => setModel(e.target.value)}>
          {models.map((m) => <option key={m.id} value={m.id}>{m.id}</option>)}
        </select>{' '}
        <span className="muted small">defaults that depend on the model; jobs use: explicit value › project override › model default</span>
        {overridden && <button className="secondary" onClick={() => void calibrate({ model: current, reset: 'all' }).catch(report)}>Reset all to model defaults</button>}
      </h3>
      {cal && (
        <table className="calibration-table">
          <thead>
            <tr><th>Setting</th><th>Model default (source)</th><th>Project override</th><th>Applies</th></tr>
          </thead>
          <tbody>
            {cal.entries.map((e) => <Row key={`${current}-${e.key}`} model={current} entry={e} />)}
          </tbody>
        </table>
      )}
    </section>
  );
}
