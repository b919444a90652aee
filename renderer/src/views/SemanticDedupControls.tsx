import { useState } from 'react';
import { SEMANTIC_DEDUP_DEFAULTS as D } from '../../../main/domain/similarity-defaults';
import { api } from '../api/client';
import { useStore } from '../state/store';
import { useCalibration, useTaskModel } from '../api/model-settings';
import { ModelSelect, withModel } from '../components/ModelSelect';

type Policy = 'pair' | 'resolution' | 'first';

/**
 * Options of the semantic near-duplicate job: the cosine threshold, whether candidate pairs must also
 * align as copies in pixels (crop, resize, re-encode, brightness), and which member of a group is kept.
 * The threshold follows the verification switch until the curator edits it.
 */
export function SemanticDedupControls() {
  const [verify, setVerify] = useState(true);
  const [threshold, setThreshold] = useState<number | null>(null);
  const [policy, setPolicy] = useState<Policy>('pair');
  const [model, setModel] = useState('');
  const report = useStore.getState().report;
  // The cosine depends on the model: its calibration (or the project's override) until the curator edits it.
  const embedModel = useTaskModel('embed')?.model ?? null;
  const cal = useCalibration(model || embedModel).data;
  const calibrated = cal?.entries.find((e) => e.key === (verify ? 'semanticCandidate' : 'semanticCosine'))?.value;
  const cos = threshold ?? (typeof calibrated === 'number' ? calibrated : verify ? D.candidateThreshold : D.cosineThreshold);

  const run = () => api.call('dedup.semantic.run', { ...(threshold !== null ? { threshold } : {}), verify: verify ? 'pixels' : 'none', policy, ...withModel(model) }).catch(report);

  return (
    <div className="semantic-controls" data-testid="semantic-controls">
      <label title="Pairs of images whose embeddings are at least this similar are candidates">
        cos ≥{' '}
        <input type="number" min={0.5} max={1} step={0.001} value={cos} data-testid="semantic-threshold"
          onChange={(e) => setThreshold(Number(e.target.value))} />
      </label>
      <label title={`Keep a candidate pair only if one image aligns with the other as a copy (crop, resize, re-encode, brightness), alignment ≥ ${D.minAlignment}`}>
        <input type="checkbox" checked={verify} data-testid="semantic-verify" onChange={(e) => setVerify(e.target.checked)} /> verify by pixels
      </label>
      <label title="Which member of each group is kept">
        keep{' '}
        <select value={policy} onChange={(e) => setPolicy(e.target.value as Policy)} data-testid="semantic-policy">
          <option value="pair">best pair score</option>
          <option value="resolution">largest image</option>
          <option value="first">first seen</option>
        </select>
      </label>
      <ModelSelect task="embed" value={model} onChange={(m) => { setModel(m); setThreshold(null); }} />
      <button className="secondary" data-testid="run-semantic" onClick={run}>Find semantic duplicates</button>
    </div>
  );
}
