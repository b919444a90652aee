import { useEffect, useState } from 'react';
import { api } from '../api/client';
import { useStore } from '../state/store';

/**
 * Scale-out from the Export dialog: the project's sources, model, the chosen selection's rules and the dedup
 * settings written as a plan file (contract `plan.export`), with the command that runs it on a cluster.
 */
export function PlanExport({ selection }: { selection: string | null }) {
  const project = useStore((s) => s.info?.project);
  const [output, setOutput] = useState('');
  const [written, setWritten] = useState<{ file: string; sources: number; rules: number; model: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);
  const root = project?.dir.replace(/[\\/]+$/, '') ?? '';
  useEffect(() => { if (root && !output) setOutput(`${root}-scale-out`); }, [root]);
  useEffect(() => { setWritten(null); setCopied(false); }, [selection]);

  const sep = root.includes('\\') && !root.includes('/') ? '\\' : '/';
  const file = `${root}${sep}plans${sep}${(selection ?? 'all-items').replace(/[^\w.-]+/g, '_')}.plan.json`;
  const command = written ? `winnow cluster run ${quote(written.file)} --queue redis://HOST:6379` : '';
  const exportPlan = async () => {
    setBusy(true);
    setCopied(false);
    try {
      const plan = await api.call('plan.export', { output: output.trim(), out: file, ...(selection ? { selection } : {}) });
      setWritten({ file, sources: plan.sources.length, rules: plan.rules.length, model: plan.model });
      setError(null);
    } catch (e) {
      setWritten(null);
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const copy = () => navigator.clipboard?.writeText(command).then(() => setCopied(true), () => setCopied(false));

  return (
    <div className="field plan-export" data-testid="plan-export">
      <span>Scale-out plan</span>
      <div className="desc">Run {selection ? `selection “${selection}”` : 'all items'} over the full dataset on many machines: the plan carries the sources, the model, the selection's rules and the dedup settings.</div>
      <div className="plan-row">
        <input value={output} onChange={(e) => setOutput(e.target.value)} placeholder="shared folder or s3://bucket/prefix" data-testid="plan-output" spellCheck={false} title="Where the cluster writes shard outputs and the merged result: a folder every worker mounts, or s3://bucket/prefix" />
        <button className="secondary" onClick={() => void exportPlan()} disabled={busy || !output.trim() || !root} data-testid="plan-export-button">Export scale-out plan</button>
      </div>
      {written && (
        <div className="plan-written" data-testid="plan-written">
          <div>Plan written to <code data-testid="plan-file">{written.file}</code> ({written.sources} source{written.sources === 1 ? '' : 's'}, model {written.model}, {written.rules} rule{written.rules === 1 ? '' : 's'}).</div>
          <div className="plan-row">
            <code className="plan-command" data-testid="plan-command">{command}</code>
            <button className="secondary" onClick={() => void copy()} data-testid="plan-copy">{copied ? 'Copied' : 'Copy'}</button>
          </div>
          <div className="desc">Start <code>winnow worker --queue redis://HOST:6379</code> on each machine first (docs/scale-out.md).</div>
        </div>
      )}
      {error && <div className="error" role="alert">{error}</div>}
    </div>
  );
}

/** Quotes a path for a POSIX shell when it needs it. */
const quote = (p: string) => (/^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`);
