import { useState } from 'react';
import { api } from '../../api/client';
import { useStore } from '../../state/store';
import { LearntThresholds } from '../adapt/LearntThresholds';

/** Starts a detection job: queries (comma or newline separated), threshold, masks on/off. */
export function RunDetection() {
  const [queries, setQueries] = useState('');
  // Empty: the detector's own default (it differs per model family: probabilities, sigmoid scores).
  const [threshold, setThreshold] = useState('');
  const [segment, setSegment] = useState(true);
  const [negatives, setNegatives] = useState(true);
  const [regionCache, setRegionCache] = useState(false);
  const [busy, setBusy] = useState(false);
  const [minScores, setMinScores] = useState<Record<string, number> | null>(null);
  // "red circle" or "red circle=0.4" (a per-class threshold).
  const entries = queries.split(/[,\n]/).map((q) => q.trim()).filter(Boolean).map((q) => {
    const m = /^(.*?)\s*=\s*([0-9.]+)$/.exec(q);
    return m ? { q: m[1], t: Number(m[2]) } : { q, t: undefined };
  });
  const list = entries.map((e) => e.q).filter(Boolean);
  const thresholds = Object.fromEntries(entries.filter((e) => e.t !== undefined && e.t >= 0 && e.t <= 1).map((e) => [e.q, e.t!]));
  const run = async () => {
    setBusy(true);
    try {
      const t = Number(threshold);
      await api.call('detect.run', { queries: list, segment, negatives, ...(Number.isFinite(t) && threshold.trim() ? { threshold: t } : {}), ...(Object.keys(thresholds).length ? { thresholds } : {}), ...(minScores ? { minScores } : {}), ...(regionCache ? { regionCache } : {}) });
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
      <label className="check"><input type="checkbox" checked={segment} onChange={(e) => setSegment(e.target.checked)} /> masks</label>
      <label className="check" title="The model's other known phrases veto look-alikes: far fewer false positives on images without the object, somewhat lower recall"><input type="checkbox" checked={negatives} onChange={(e) => setNegatives(e.target.checked)} /> reject look-alikes</label>
      <LearntThresholds value={minScores} onChange={setMinScores} />
      <label className="check" title="Scores adapted to the boxes you accepted and rejected for these queries (a cache over their crops, with a cross-validated cut): fewer proposals you would reject"><input type="checkbox" name="region-cache" checked={regionCache} onChange={(e) => setRegionCache(e.target.checked)} /> learn from reviewed boxes</label>
      <button type="submit" disabled={busy || list.length === 0}>Detect</button>
    </form>
  );
}
