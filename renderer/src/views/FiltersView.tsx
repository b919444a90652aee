import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { onDataChanged, useJobs } from '../api/queries';
import { useCuration } from '../state/curation';
import { useStore } from '../state/store';
import { RuleCard } from './filters/RuleCard';

/**
 * The Filters panel: one card per rule (DataComp basic filter, duplicates, pixel checks, any stored
 * signal), live kept/removed counts while a threshold moves, apply to the grid, save as a selection.
 */
export function FiltersView() {
  const { loaded, rules, evaluation, signals, saved, name, busy } = useCuration();
  const jobs = useJobs();
  const [live, setLive] = useState<number | null>(null);
  const [adding, setAdding] = useState('');
  const statsJob = jobs.find((j) => j.kind === 'curate.stats');
  const statsRunning = statsJob && (statsJob.state === 'running' || statsJob.state === 'queued');

  useEffect(() => {
    if (!loaded) void useCuration.getState().load();
  }, [loaded]);

  // New signals or duplicate groups make every histogram and count stale; a running job announces
  // them a few times a second, so reload at most twice a second, showing the counts as busy until then.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = onDataChanged(['signals.changed', 'duplicates.changed', 'selections.changed'], () => {
      useCuration.setState({ busy: true });
      timer ??= setTimeout(() => { timer = null; void useCuration.getState().load(); }, 500);
    });
    return () => { off(); if (timer) clearTimeout(timer); };
  }, []);

  const total = evaluation?.total ?? 0;
  const kept = live ?? evaluation?.kept ?? 0;
  const removed = total - kept;
  const measured = signals.some((s) => s.name === 'image.blur' || s.name === 'caption.words');
  const extraSignals = signals.filter((s) => !rules.some((r) => r.signal === s.name) && !s.name.startsWith('dup.'));
  // A saved, unchanged selection filters the grid by name; anything else by the rules as they stand.
  const dirty = (n: string) => JSON.stringify(saved.find((s) => s.name === n)?.rules) !== JSON.stringify(rules);
  const apply = (show: 'kept' | 'removed') => useStore.getState().setGridSelection(name && !dirty(name) ? { name, show } : { rules, show });

  return (
    <div className="filters-view" data-testid="filters">
      <div className="filters-head">
        <div className="filters-title">
          <h2>Filters</h2>
          <p className="muted small">Rules keep what passes; an item without a rule's signal is not judged by it.</p>
        </div>
        <div className="stat kept" data-testid="kept-count" aria-live="polite">
          <b>{kept.toLocaleString()}</b><span>kept</span>
        </div>
        <div className="stat removed" data-testid="removed-count">
          <b>{removed.toLocaleString()}</b><span>removed</span>
        </div>
        <div className="stat">
          <b>{total.toLocaleString()}</b><span>total</span>
        </div>
        <div className="meter" title={`${total ? ((100 * kept) / total).toFixed(1) : 0}% kept`}>
          <div style={{ width: `${total ? (100 * kept) / total : 0}%` }} />
        </div>
        {busy && <span className="spinner" aria-label="updating" />}
      </div>

      <div className="filters-toolbar">
        <button onClick={() => void api.call('curate.runStats', {}).then(() => useStore.getState().refresh(), useStore.getState().report)} disabled={!!statsRunning} data-testid="run-stats">
          {statsRunning ? 'Measuring…' : measured ? 'Update statistics' : 'Run statistics'}
        </button>
        <button className="secondary" onClick={() => apply('kept')} data-testid="show-kept">Show kept in grid</button>
        <button className="secondary" onClick={() => apply('removed')} data-testid="show-removed">Show removed</button>
        <button className="secondary" onClick={() => void useCuration.getState().load(true)}>Reset to defaults</button>
        <span className="spacer" />
        <form
          className="save-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) void useCuration.getState().save(name.trim());
          }}
        >
          <input name="selection-name" value={name} placeholder="Selection name" onChange={(e) => useCuration.getState().setName(e.target.value)} />
          <button type="submit" disabled={!name.trim()}>{saved.some((s) => s.name === name.trim()) ? 'Update' : 'Save'}</button>
        </form>
      </div>

      {!measured && loaded && (
        <div className="callout">
          No statistics yet. <b>Run statistics</b> decodes every image once (at 256 px) to measure blur, brightness,
          information and a perceptual hash, and groups duplicates. Progress shows in the Jobs panel.
        </div>
      )}

      {saved.length > 0 && (
        <div className="saved-list">
          <span className="muted small">Saved:</span>
          {saved.map((s) => (
            <span key={s.id} className={`chip ${s.name === name ? 'active' : ''}`}>
              <button className="link" onClick={() => void useCuration.getState().open(s)}>{s.name}</button>
              <button className="icon" title={`Delete ${s.name}`} onClick={() => void useCuration.getState().deleteSaved(s.name)}>✕</button>
            </span>
          ))}
        </div>
      )}

      <div className="rule-cards">
        {rules.map((r) => (
          <RuleCard key={r.id} rule={r} counts={evaluation?.rules.find((c) => c.id === r.id)} total={total} onLive={setLive} />
        ))}
      </div>

      {extraSignals.length > 0 && (
        <div className="add-rule">
          <select value={adding} onChange={(e) => setAdding(e.target.value)} aria-label="signal for a new rule">
            <option value="">Add a rule on another signal…</option>
            {extraSignals.map((s) => (
              <option key={s.name} value={s.name}>{s.name}{s.model ? ` (${s.model})` : ''} · {s.count.toLocaleString()} items</option>
            ))}
          </select>
          <button className="secondary" disabled={!adding} onClick={() => { useCuration.getState().addSignalRule(adding); setAdding(''); }}>Add rule</button>
        </div>
      )}
    </div>
  );
}
