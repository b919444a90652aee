import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { useJobs, useLabelCounts } from '../api/queries';
import { useStore } from '../state/store';
import { parseClasses, parseLines } from './labels/parse';
import './labels/labels.css';
import { AdaptPanel } from './adapt/AdaptPanel';
import { EmbedPrompt } from '../components/EmbedPrompt';
import { LabelRuns } from './labels/LabelRuns';
import { ModelSelect, withModel } from '../components/ModelSelect';

const KEY = 'winnow.labels.form';
interface Form { classes: string; templates: string; k: string; threshold: string; multi: boolean; concepts: string }
const EMPTY: Form = { classes: '', templates: '', k: '3', threshold: '', multi: false, concepts: 'a watermark\na screenshot with text' };

function loadForm(): Form {
  try {
    return { ...EMPTY, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Form>) };
  } catch {
    return EMPTY;
  }
}

const SIGNAL_JOBS = new Set(['curate.label', 'curate.pairscore', 'curate.concepts']);

/** Zero-shot labels (classes + prompt templates → a labeling job), counts per label, pair and concept scores. */
export function LabelsView() {
  const [form, setForm] = useState<Form>(loadForm);
  // Refetched whenever the engine announces new signals (a labeling run's batches).
  const counts = useLabelCounts().data ?? null;
  const [uncertainLabel, setUncertainLabel] = useState('__uncertain__');
  const [busy, setBusy] = useState<string | null>(null);
  const [conceptSignals, setConceptSignals] = useState<string[]>([]);
  // '' = the project's model for the task (Models view); the label model's calibration fills templates and threshold.
  const [labelModel, setLabelModel] = useState('');
  const [pairModel, setPairModel] = useState('');
  const [conceptModel, setConceptModel] = useState('');
  const [defaults, setDefaults] = useState<{ model: string; templates: string[]; threshold: number | null } | null>(null);
  const labelFilter = useStore((s) => s.labelFilter);
  const jobs = useJobs();
  const report = useStore((s) => s.report);

  const update = (patch: Partial<Form>) => setForm((f) => {
    const next = { ...f, ...patch };
    localStorage.setItem(KEY, JSON.stringify(next));
    return next;
  });

  // The chosen model's defaults replace the form's values while they are still the previous model's defaults.
  const previousDefaults = useRef<typeof defaults>(null);
  useEffect(() => {
    void api.call('labels.defaults', withModel(labelModel)).then((d) => {
      setUncertainLabel(d.uncertainLabel);
      const old = previousDefaults.current;
      const next = { model: d.model, templates: d.templates, threshold: d.threshold };
      previousDefaults.current = next;
      setDefaults(next);
      setForm((f) => {
        const templates = !f.templates.trim() || f.templates === old?.templates.join('\n') ? d.templates.join('\n') : f.templates;
        const threshold = !f.multi && d.threshold !== null && (!f.threshold.trim() || Number(f.threshold) === old?.threshold) ? String(d.threshold) : f.threshold;
        return { ...f, templates, threshold };
      });
    }, report);
  }, [report, labelModel]);

  const running = jobs.some((j) => (j.state === 'running' || j.state === 'queued') && (SIGNAL_JOBS.has(j.kind) || j.kind === 'embed'));

  const classes = parseClasses(form.classes);
  const templates = parseLines(form.templates);

  const start = async (what: string, call: () => Promise<unknown>) => {
    setBusy(what);
    try {
      await call();
      await useStore.getState().refresh();
    } catch (err) {
      report(err);
    } finally {
      setBusy(null);
    }
  };

  // Values equal to the model's defaults are not sent: the run records that they came from the model (or the project's override).
  const sameTemplates = defaults !== null && templates.join('\n') === defaults.templates.join('\n');
  const threshold = Math.max(0, Math.min(1, Number(form.threshold) || 0));
  const sameThreshold = !form.threshold.trim() || (!form.multi && defaults?.threshold === threshold);
  const runLabels = () => start('labels', () => api.call('labels.run', {
    classes, ...(templates.length && !sameTemplates ? { templates } : {}), multiLabel: form.multi,
    k: Math.max(1, Math.min(20, Math.round(Number(form.k) || 3))),
    ...(sameThreshold ? {} : { threshold }), ...withModel(labelModel),
  }));

  const filterBy = (label: string) => useStore.getState().setLabelFilter(label);
  const max = Math.max(1, ...(counts?.labels.map((l) => l.count) ?? []), counts?.uncertain ?? 0);

  return (
    <div className="labels-view" data-testid="labels-view">
      <h2>Labels</h2>
      <div className="muted">Zero-shot labels from the embedding model: each class is embedded through every prompt template, averaged, and compared with each image. Results are proposals you can filter on.</div>
      <EmbedPrompt reason="Zero-shot labels compare image embeddings with the class prompts." />
      <div className="labels-cols">
        <div>
          <section className="labels-card">
            <h3>Classes</h3>
            <label className="field">
              One per line; synonyms after “:”, separated by commas
              <textarea name="classes" rows={8} value={form.classes} onChange={(e) => update({ classes: e.target.value })} placeholder={'cat\ndog: puppy, hound\nred circle'} spellCheck={false} />
            </label>
            <label className="field">
              Prompt templates, one per line; {'{}'} is the class name
              <textarea name="templates" rows={5} value={form.templates} onChange={(e) => update({ templates: e.target.value })} spellCheck={false} />
            </label>
            <div className="labels-opts">
              <label className="field">
                Top k
                <input name="k" type="number" min={1} max={20} value={form.k} onChange={(e) => update({ k: e.target.value })} />
              </label>
              <label className="field" title={form.multi ? 'A class is assigned when its probability reaches this' : 'Items whose top probability is below this are uncertain'}>
                {form.multi ? 'Min probability' : 'Uncertain below'}
                <input name="threshold" type="number" min={0} max={1} step={0.05} value={form.threshold} onChange={(e) => update({ threshold: e.target.value })} />
              </label>
              <label className="check" title="Independent sigmoid per class with an automatic per-class threshold">
                <input type="checkbox" name="multi" checked={form.multi} onChange={(e) => update({ multi: e.target.checked, threshold: e.target.checked ? '0.5' : String(defaults?.threshold ?? 0.3) })} />
                Multi-label
              </label>
            </div>
            <div className="labels-actions">
              <ModelSelect task="labels" value={labelModel} onChange={setLabelModel} />
              <button onClick={() => void runLabels()} disabled={classes.length < 2 || busy !== null} data-testid="run-labels">
                {busy === 'labels' ? 'Starting…' : 'Run labeling'}
              </button>
              <span className="muted small">{classes.length} classes × {templates.length || 'default'} templates{running ? ' · job running (see Jobs)' : ''}</span>
            </div>
          </section>
          <section className="labels-card">
            <h3>Image-caption score</h3>
            <div className="muted small">Cosine of each image with its own caption → signal <code>clip.pair</code>. Filter on it in Filters (a threshold, or keep the top X%).</div>
            <div className="labels-actions">
              <ModelSelect task="pairscore" value={pairModel} onChange={setPairModel} />
              <button className="secondary" onClick={() => void start('pair', () => api.call('pairscore.run', withModel(pairModel)))} disabled={busy !== null} data-testid="run-pairscore">Compute pair scores</button>
            </div>
          </section>
          <section className="labels-card">
            <h3>Concepts</h3>
            <label className="field">
              <span>Text prompts, one per line → signal <code>concept.&lt;name&gt;</code> (cosine); filter on it in Filters</span>
              <textarea name="concepts" rows={3} value={form.concepts} onChange={(e) => update({ concepts: e.target.value })} spellCheck={false} />
            </label>
            <div className="labels-actions">
              <ModelSelect task="embed" value={conceptModel} onChange={setConceptModel} />
              <button
                className="secondary"
                disabled={busy !== null || parseLines(form.concepts).length === 0}
                onClick={() => void start('concepts', async () => setConceptSignals((await api.call('concepts.run', { prompts: parseLines(form.concepts).slice(0, 32), ...withModel(conceptModel) })).signals))}
                data-testid="run-concepts"
              >
                Score concepts
              </button>
            </div>
            {conceptSignals.length > 0 && <div className="signal-names">{conceptSignals.map((s) => <code key={s}>{s}</code>)}</div>}
          </section>
          <AdaptPanel />
        </div>
        <section className="labels-card" data-testid="label-counts">
          <div className="labels-actions">
            <h3>Counts per label</h3>
            <span className="spacer" />
            {counts?.run && <span className="muted small" data-testid="label-counts-model" title="The model whose scores these counts are">{counts.run} · model {counts.model} · {counts.scored.toLocaleString()} items</span>}
          </div>
          {!counts?.run ? (
            <div className="muted">No labels yet. Enter classes and run labeling; items are embedded first if needed.</div>
          ) : (
            <ul className="label-bars">
              {counts.labels.map((l) => (
                <li key={l.label}>
                  <button className={labelFilter === l.label ? 'active' : ''} onClick={() => filterBy(l.label)} title={`Show the ${l.count} items labeled “${l.label}”`} data-testid="label-count">
                    <span className="name">{l.label}</span>
                    <span className="track"><span className="fill" style={{ display: 'block', width: `${(l.count / max) * 100}%` }} /></span>
                    <span className="n">{l.count.toLocaleString()}</span>
                  </button>
                </li>
              ))}
              <li className="uncertain">
                <button className={labelFilter === uncertainLabel ? 'active' : ''} onClick={() => filterBy(uncertainLabel)} title="Items no class was confident for" data-testid="label-uncertain">
                  <span className="name">uncertain</span>
                  <span className="track"><span className="fill" style={{ display: 'block', width: `${(counts.uncertain / max) * 100}%` }} /></span>
                  <span className="n">{counts.uncertain.toLocaleString()}</span>
                </button>
              </li>
            </ul>
          )}
          {counts?.run && counts.scored > 0 && counts.uncertain === counts.scored && (
            <div className="muted small">No item reached the confidence threshold: lower “{counts.run === 'multi-label' ? 'Min probability' : 'Uncertain below'}” or refine the classes and templates.</div>
          )}
        </section>
      </div>
      <LabelRuns />
    </div>
  );
}

/** Above the grid while it is filtered by a label. */
export function LabelBanner() {
  const label = useStore((s) => s.labelFilter);
  const count = useStore((s) => s.itemCount);
  if (!label) return null;
  return (
    <div className="label-banner" data-testid="label-banner">
      <span>
        Showing <b>{count.toLocaleString()}</b> items {label === '__uncertain__' ? 'with no confident label' : <>labeled <b>{label}</b></>}
      </span>
      <span className="spacer" />
      <button className="link" onClick={() => useStore.getState().setView('labels')}>Labels</button>
      <button className="link" onClick={() => useStore.getState().setLabelFilter(null)}>Clear</button>
    </div>
  );
}
