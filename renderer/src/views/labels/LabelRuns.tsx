import { useState } from 'react';
import { useLabelRuns } from '../../api/queries';

/**
 * Every labeling run, newest first. Runs add up: an earlier run's labels stay, listed here with how many items still
 * carry them as their current label (a reviewed label, else the newest run's). Click a run for its counts per class.
 */
export function LabelRuns() {
  const runs = useLabelRuns().data ?? [];
  const [open, setOpen] = useState<number | null>(null);
  if (runs.length === 0) return null;
  return (
    <section className="labels-card" data-testid="label-runs">
      <h3>Runs <span className="muted small">{runs.length}</span></h3>
      <ol className="label-runs">
        {runs.map((r, i) => (
          <li key={r.runId} data-testid="label-run" data-run={r.runId}>
            <button className="link run-head" aria-expanded={open === r.runId} onClick={() => setOpen(open === r.runId ? null : r.runId)}>
              <b>Run {runs.length - i}</b> {i === 0 && <span className="badge current">current</span>}
              <span className="muted small">{r.run} · {r.model ?? '—'} · {new Date(r.startedAt).toLocaleString()}</span>
            </button>
            <div className="muted small run-summary">
              {r.classes.length} classes: {r.classes.slice(0, 6).join(', ')}{r.classes.length > 6 ? ', …' : ''} · labeled {r.labeled.toLocaleString()} · still current on <span data-testid="run-current">{r.current.toLocaleString()}</span>
            </div>
            {open === r.runId && (
              <table className="run-counts" data-testid="run-counts">
                <tbody>
                  {r.counts.map((c) => <tr key={c.label}><td>{c.label}</td><td className="n">{c.count.toLocaleString()}</td></tr>)}
                </tbody>
              </table>
            )}
          </li>
        ))}
      </ol>
    </section>
  );
}
