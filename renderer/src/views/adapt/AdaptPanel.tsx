// "Adapt from reviews" in the Labels view: runs the adaptation job, shows what the cross-validation
// chose, the estimated accuracy as reviews accumulated (the latest fit's curve over review prefixes, or one
// point per adaptation for reports made before curves), and distills the
// adapted classifier to a model folder.
import { useCallback, useEffect, useState } from 'react';
import type { AdaptReportT } from '../../../../main/domain/adapt';
import { api } from '../../api/client';
import { useJobs } from '../../api/queries';
import { useStore } from '../../state/store';
import { AccuracyChart } from './AccuracyChart';
import './adapt.css';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const isAbsolute = (p: string) => p.trim().startsWith('/') || /^[A-Za-z]:[\\/]/.test(p.trim());

export function AdaptPanel() {
  const [reports, setReports] = useState<AdaptReportT[]>([]);
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState('');
  const [distilled, setDistilled] = useState<string | null>(null);
  const [head, setHead] = useState('');
  const report = useStore((s) => s.report);
  const jobs = useJobs();

  const load = useCallback(() => api.call('adapt.reports', {}).then(setReports, report), [report]);
  useEffect(() => { void load(); }, [load]);
  // Heads installed in the Models view (Add model folder / winnow models add), chosen by id.
  const [heads, setHeads] = useState<{ id: string; label: string }[]>([]);
  useEffect(() => {
    api.call('models.list', {}).then((models) => setHeads(models.filter((m) => m.task === 'classification-head' && m.installed).map((m) => ({
      id: m.id, label: m.head ? `${m.id} (${m.head.classes.length} classes, ${m.head.trainingSize} reviews, ${m.head.embeddingModel})` : m.id,
    }))), report);
  }, [report]);
  const finished = jobs.filter((j) => j.kind === 'adapt.run' && j.state === 'done').map((j) => j.id).join(',');
  // Label counts refresh by themselves (the job announces its signal and annotation writes); the reports are this panel's.
  useEffect(() => {
    if (finished) void load();
  }, [finished, load]);
  const running = jobs.some((j) => j.kind === 'adapt.run' && (j.state === 'running' || j.state === 'queued'));

  const adapt = async (withHead?: string) => {
    setBusy(true);
    try {
      await api.call('adapt.run', withHead ? { head: withHead } : {});
      await useStore.getState().refresh();
    } catch (err) {
      report(err);
    } finally {
      setBusy(false);
    }
  };

  const distill = async () => {
    try {
      const card = await api.call('adapt.distill', { out: out.trim() });
      setDistilled(`${out.trim()}: ${card.classes.length} classes, ${card.trainingSize} reviews, ${pct(card.accuracy)} (cross-validated)`);
    } catch (err) {
      report(err);
    }
  };

  const fitted = reports.filter((r) => !r.head);
  const latest = reports[reports.length - 1];
  const curve = [...fitted].reverse().find((r) => r.curve?.length)?.curve;
  const adaptedPoints = curve ? curve.map((p) => ({ x: p.reviews, y: p.accuracy })) : fitted.map((r) => ({ x: r.trainingSize, y: r.chosen.accuracy }));
  const zeroShotPoints = curve ? curve.map((p) => ({ x: p.reviews, y: p.zeroShot })) : fitted.map((r) => ({ x: r.trainingSize, y: r.zeroShot.accuracy }));
  return (
    <section className="labels-card adapt-panel" data-testid="adapt-panel">
      <div className="labels-actions">
        <h3>Adapt from reviews</h3>
        <span className="spacer" />
        <button onClick={() => void adapt()} disabled={busy || running} data-testid="run-adapt">{running ? 'Adapting…' : 'Adapt from reviews'}</button>
      </div>
      <div className="muted small">
        Every accepted, rejected or relabelled label teaches the classifier: a Tip-Adapter cache or a linear probe on the stored embeddings, whichever cross-validates better on your reviews, relabels the items you have not reviewed (run “adapted”).
      </div>
      {latest ? (
        <div className="adapt-latest" data-testid="adapt-latest">
          {latest.head ? <>Labelled with a distilled head ({latest.chosen.method}, {latest.trainingSize} reviews)</> : (
            <>
              <b>{latest.chosen.method}</b> from <b>{latest.trainingSize}</b> reviews: estimated accuracy <b>{pct(latest.chosen.accuracy)}</b> vs zero-shot {pct(latest.zeroShot.accuracy)}
              {latest.folds > 0 && <span className="muted"> ({latest.folds}-fold cross-validation)</span>}
            </>
          )}
          <span className="muted"> · {latest.applied.toLocaleString()} items relabelled in {latest.seconds.toFixed(1)} s</span>
        </div>
      ) : <div className="muted">Not adapted yet: review some labels (Review view), then adapt.</div>}
      {fitted.length > 0 && (
        <>
          <AccuracyChart
            xLabel="reviews"
            series={[
              { name: 'adapted', className: 'series-adapted', points: adaptedPoints },
              { name: 'zero-shot', className: 'series-zero-shot', points: zeroShotPoints },
            ]}
          />
          <div className="adapt-legend small"><span className="key series-adapted" /> adapted <span className="key series-zero-shot" /> zero-shot (both cross-validated on the first {curve ? 'n reviews, in the order you made them' : 'reviews of each run'})</div>
          <form className="labels-actions" onSubmit={(e) => { e.preventDefault(); void distill(); }}>
            <input name="distill-out" placeholder="/path/to/new/model-folder" value={out} onChange={(e) => setOut(e.target.value)} />
            <button type="submit" className="secondary" disabled={!isAbsolute(out)} data-testid="distill">Distill to ONNX</button>
          </form>
          {distilled && <div className="muted small" data-testid="distilled">Wrote {distilled}</div>}
        </>
      )}
      <form className="labels-actions head-actions" onSubmit={(e) => { e.preventDefault(); void adapt(head.trim()); }} title="A folder written by “Distill to ONNX” (here or in another project with the same embedding model)">
        {heads.length > 0 && (
          <select name="installed-head" aria-label="installed head" value={heads.some((h) => h.id === head) ? head : ''} onChange={(e) => setHead(e.target.value)}>
            <option value="">installed heads…</option>
            {heads.map((h) => <option key={h.id} value={h.id}>{h.label}</option>)}
          </select>
        )}
        <input name="head-folder" placeholder={heads.length ? 'or /path/to/distilled/model-folder' : '/path/to/distilled/model-folder'} value={heads.some((h) => h.id === head) ? '' : head} onChange={(e) => setHead(e.target.value)} />
        <button type="submit" className="secondary" disabled={busy || running || !(isAbsolute(head) || heads.some((h) => h.id === head))} data-testid="label-with-head">Label with a distilled head</button>
      </form>
    </section>
  );
}
