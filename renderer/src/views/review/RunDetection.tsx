import { useState } from 'react';
import { api } from '../../api/client';
import { useStore } from '../../state/store';
import { upsertJob, useJobs } from '../../api/queries';
import { LearntThresholds } from '../adapt/LearntThresholds';
import { ModelSelect, withModel } from '../../components/ModelSelect';

/** Starts a detection job: queries (comma or newline separated), threshold, masks on/off. */
export function RunDetection() {
  const [queries, setQueries] = useState('');
  // Empty: the model's calibrated default (it differs per model family: probabilities, sigmoid scores).
  const [threshold, setThreshold] = useState('');
  const [segment, setSegment] = useState(true);
  const [negatives, setNegatives] = useState(true);
  const [regionCache, setRegionCache] = useState(false);
  const [busy, setBusy] = useState(false);
  // '' = the project's detection (or, with masks, segmentation) model.
  const [model, setModel] = useState('');
  const [minScores, setMinScores] = useState<Record<string, number> | null>(null);
  // "red circle" or "red circle=0.4" (a per-class threshold).
  const entries = queries.split(/[,\n]/).map((q) => q.trim()).filter(Boolean).map((q) => {
    const m = /^(.*?)\s*=\s*([0-9.]+)$/.exec(q);
    return m ? { q: m[1], t: Number(m[2]) } : { q, t: undefined };
  });
  const list = entries.map((e) => e.q).filter(Boolean);
  // The same detection (same queries, masks on/off) already running: its title is the job's (detect-job.ts).
  const title = `Detect ${[...new Set(list)].join(', ')}${segment ? ' (+ masks)' : ''}`;
  const same = useJobs().find((j) => j.kind === 'detect.run' && (j.state === 'running' || j.state === 'queued') && j.title === title);
  const thresholds = Object.fromEntries(entries.filter((e) => e.t !== undefined && e.t >= 0 && e.t <= 1).map((e) => [e.q, e.t!]));
  const run = async () => {
    setBusy(true);
    try {
      const t = Number(threshold);
      const { jobId } = await api.call('detect.run', { queries: list, segment, negatives, ...(Number.isFinite(t) && threshold.trim() ? { threshold: t } : {}), ...(Object.keys(thresholds).length ? { thresholds } : {}), ...(minScores ? { minScores } : {}), ...withModel(model), ...(regionCache ? { regionCache } : {}) });
      // Known at once (not at the job's first progress event), so a second click cannot start it twice.
      upsertJob(await api.call('jobs.get', { id: jobId }));
    } catch (err) {
      useStore.getState().report(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="review-run" onSubmit={(e) => { e.preventDefault(); if (list.length) void run(); }} data-testid="run-detection">
      <h3>Run detection</h3>
      <textarea name="queries" rows={3} value={queries} onChange={(e) => setQueries(e.target.value)} placeholder="red circle, blue square=0.4" />
      <label>Threshold <input name="threshold" type="number" min={0} max={1} step={0.05} value={threshold} placeholder="default" onChange={(e) => setThreshold(e.target.value)} /></label>
      <label className="check"><input type="checkbox" checked={segment} onChange={(e) => { setSegment(e.target.checked); setModel(''); }} /> masks</label>
      <label className="check" title="The model's other known phrases veto look-alikes: far fewer false positives on images without the object, somewhat lower recall"><input type="checkbox" checked={negatives} onChange={(e) => setNegatives(e.target.checked)} /> reject look-alikes</label>
      <ModelSelect key={segment ? 'segment' : 'detect'} task={segment ? 'segment' : 'detect'} value={model} onChange={setModel} />
      <LearntThresholds value={minScores} onChange={setMinScores} />
      <label className="check" title="Scores adapted to the boxes you accepted and rejected for these queries (a cache over their crops, with a cross-validated cut): fewer proposals you would reject"><input type="checkbox" name="region-cache" checked={regionCache} onChange={(e) => setRegionCache(e.target.checked)} /> learn from reviewed boxes</label>
      <button type="submit" data-testid="detect-submit" disabled={busy || list.length === 0 || !!same} title={same ? 'This detection is running (see Jobs)' : undefined}>
        {same ? `Detecting… ${same.total ? `${Math.floor((100 * same.done) / same.total)}%` : ''}` : 'Detect'}
      </button>
    </form>
  );
}
