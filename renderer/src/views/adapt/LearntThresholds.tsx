// Next to "Run detection": drop proposals below the per-class minimum scores learnt from reviewed
// boxes (adapt.regions), so the next run proposes fewer boxes the curator would reject.
import { useState } from 'react';
import { api } from '../../api/client';
import { useStore } from '../../state/store';

export function LearntThresholds({ value, onChange }: { value: Record<string, number> | null; onChange: (v: Record<string, number> | null) => void }) {
  const [note, setNote] = useState<string | null>(null);
  const toggle = async (on: boolean) => {
    if (!on) { onChange(null); setNote(null); return; }
    try {
      const learnt = (await api.call('adapt.regions', {})).filter((r) => r.threshold !== null);
      if (learnt.length === 0) { setNote('review some detections (accept and reject) first'); return; }
      onChange(Object.fromEntries(learnt.map((r) => [r.label, r.threshold!])));
      setNote(`${learnt.length} classes`);
    } catch (err) {
      useStore.getState().report(err);
    }
  };
  return (
    <label className="check" title="Per-class minimum scores learnt from the boxes you accepted and rejected">
      <input type="checkbox" name="learnt-thresholds" checked={value !== null} onChange={(e) => void toggle(e.target.checked)} data-testid="learnt-thresholds" />
      {' '}minimum scores from reviews{note && <span className="muted small" data-testid="learnt-note"> ({note})</span>}
    </label>
  );
}
