import { useEffect, useState } from 'react';
import type { ModelInfoT, ModelJobT, ValidationReportT } from '../../../main/api/methods/models';
import { formatBytes } from '../../../main/api/format';
import { useModels } from '../state/models';
import { useStore } from '../state/store';
import { CalibrationPanel } from './models/CalibrationPanel';
import { TaskModels } from './models/TaskModels';

function eta(sec: number | null): string {
  if (sec === null) return '';
  if (sec < 60) return `${Math.ceil(sec)}s left`;
  return `${Math.floor(sec / 60)}m ${Math.round(sec % 60)}s left`;
}

const TASKS: Record<string, string> = {
  clip: 'CLIP embedding',
  'zero-shot-object-detection': 'detection',
  'image-segmentation': 'segmentation',
  'mask-generation': 'masks (SAM)',
  'classification-head': 'classifier head',
  unknown: 'unknown',
};

function Status({ model }: { model: ModelInfoT }) {
  if (model.builtin) return <span className="pill builtin">Built-in</span>;
  if (model.installed) return <span className="pill installed">Installed</span>;
  return <span className="pill available">Available</span>;
}

function Sizes({ model }: { model: ModelInfoT }) {
  const installed = new Map(model.installedDtypes.map((d) => [d.dtype, d.bytes]));
  const offered = model.offered.filter((d) => !installed.has(d.dtype));
  return (
    <div className="dtypes">
      {model.installedDtypes.map((d) => (
        <span key={d.dtype} className="dtype on" title="installed">
          {d.dtype} <b>{formatBytes(d.bytes)}</b>
        </span>
      ))}
      {offered.map((d) => (
        <span key={d.dtype} className="dtype" title="approximate download size">
          {d.dtype} ~{formatBytes(d.approxBytes)}
        </span>
      ))}
    </div>
  );
}

function PullProgress({ job, onCancel }: { job: ModelJobT; onCancel: () => void }) {
  const frac = job.total ? Math.min(1, job.done / job.total) : 0;
  const active = job.state === 'running' || job.state === 'queued';
  return (
    <div className={`pull job ${job.state}`} data-testid="pull-progress" data-state={job.state}>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={job.total ?? 0} aria-valuenow={job.done}>
        <div style={{ width: `${frac * 100}%` }} />
      </div>
      <div className="pull-meta small">
        <span>
          {formatBytes(job.done)}
          {job.total !== null && ` / ${formatBytes(job.total)}`}
        </span>
        {active && job.ratePerSec !== null && <span className="muted">{formatBytes(job.ratePerSec)}/s</span>}
        {active && <span className="muted">{eta(job.etaSec)}</span>}
        {!active && <span className={`state ${job.state}`}>{job.state === 'done' ? 'downloaded and verified' : job.state}</span>}
        {active && (
          <button className="link" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {job.error && <div className="error small">{job.error}</div>}
    </div>
  );
}

function Report({ report }: { report: ValidationReportT }) {
  return (
    <div className={`report ${report.ok ? 'ok' : 'bad'}`} data-testid="validation-report">
      <div className="report-head">
        <span className={`pill ${report.ok ? 'installed' : 'failed'}`}>{report.ok ? 'Valid' : 'Problems found'}</span>
        <span>
          {report.task}
          {report.dtype && ` · ${report.dtype}`}
          {report.clip && ` · ${report.clip.dim}-d embeddings · ${report.clip.imageSize.join('×')} px · ${report.clip.sequenceLength} tokens`}
        </span>
        <span className="muted mono wrap">{report.folder}</span>
      </div>
      {report.problems.length > 0 && (
        <ul className="problems">
          {report.problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      {report.graphs.length > 0 && (
        <table className="io-table">
          <thead>
            <tr>
              <th>Graph</th>
              <th>Runs on</th>
              <th>Inputs</th>
              <th>Outputs</th>
            </tr>
          </thead>
          <tbody>
            {report.graphs.map((g) => (
              <tr key={g.file}>
                <td className="mono">{g.file}</td>
                <td>{g.provider}</td>
                {[g.inputs, g.outputs].map((list, i) => (
                  <td key={i} className="mono">
                    {list.map((t) => (
                      <div key={t.name}>
                        {t.name} <span className="muted">{t.type}[{t.shape.join(', ')}]</span>
                      </div>
                    ))}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** A distilled head's card: what it classifies, from how many reviews, how well, over which embeddings. */
function HeadCard({ head }: { head: NonNullable<ModelInfoT['head']> }) {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const shown = head.classes.slice(0, 6).join(', ');
  return (
    <div className="muted small desc" data-testid="head-card">
      {head.classes.length} classes ({shown}{head.classes.length > 6 ? ', …' : ''}) · {head.method} trained on {head.trainingSize} reviews · accuracy {pct(head.accuracy)} (zero-shot {pct(head.zeroShotAccuracy)}, cross-validated) · reads <span className="mono">{head.embeddingModel}</span> embeddings ({head.dim}-d) · label with it in Labels → Adapt from reviews
    </div>
  );
}

function ModelRow({ model }: { model: ModelInfoT }) {
  const job = useModels((s) => s.pulls[model.id]);
  const report = useModels((s) => s.reports[model.id]);
  const [dtype, setDtype] = useState(model.defaultDtype ?? '');
  const [confirming, setConfirming] = useState(false);
  const pulling = job && (job.state === 'running' || job.state === 'queued');
  const { pull, cancel, validate, remove } = useModels.getState();
  // Running and failed pulls stay visible; a finished one only while its model is installed and it is recent.
  const recent = job?.finishedAt ? Date.now() - Date.parse(job.finishedAt) < 5 * 60_000 : false;
  const showJob = job && (pulling || (job.state === 'done' ? model.installed && recent : true));
  return (
    <>
      <tr data-testid="model-row" data-model={model.id} className={model.installed ? 'installed' : ''}>
        <td>
          <div className="model-name">{model.name}</div>
          <div className="muted small mono">{model.id}</div>
          {model.description && <div className="muted small desc">{model.description}</div>}
          {model.head && <HeadCard head={model.head} />}
        </td>
        <td>
          <span className="task">{TASKS[model.task] ?? model.task}</span>
        </td>
        <td className="small">{model.licence ?? '—'}</td>
        <td>
          <Sizes model={model} />
        </td>
        <td>
          <Status model={model} />
        </td>
        <td className="actions">
          <div>
          {!confirming && !model.builtin && !pulling && model.offered.length > 0 && (
            <span className="pull-control">
              <select aria-label={`dtype for ${model.id}`} value={dtype} onChange={(e) => setDtype(e.target.value)}>
                {model.offered.map((d) => (
                  <option key={d.dtype} value={d.dtype}>
                    {d.dtype}
                  </option>
                ))}
              </select>
              <button onClick={() => void pull(model.id, dtype || undefined)}>{model.installedDtypes.some((d) => d.dtype === dtype) ? 'Re-pull' : 'Pull'}</button>
            </span>
          )}
          {model.installed && !confirming && (
            <button className="secondary" disabled={report === 'running'} onClick={() => void validate(model.id)}>
              {report === 'running' ? 'Validating…' : 'Validate'}
            </button>
          )}
          {model.installed && !model.builtin && !confirming && (
            <button className="secondary danger" disabled={pulling} onClick={() => setConfirming(true)}>
              Remove
            </button>
          )}
          {confirming && (
            <span className="confirm" role="alertdialog" aria-label={`Remove ${model.id}?`}>
              Delete files?
              <button className="danger-solid" onClick={() => void remove(model.id).finally(() => setConfirming(false))}>
                Remove
              </button>
              <button className="secondary" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          )}
          </div>
        </td>
      </tr>
      {(showJob || (report && report !== 'running')) && (
        <tr className="detail-row">
          <td colSpan={6}>
            {showJob && job && <PullProgress job={job} onCancel={() => void cancel(model.id)} />}
            {report && report !== 'running' && <Report report={report} />}
          </td>
        </tr>
      )}
    </>
  );
}

/** Built-in, downloadable and installed models: pull with live progress, import, validate, remove. */
export function ModelsView() {
  const models = useModels((s) => s.models);
  const loaded = useModels((s) => s.loaded);
  const [path, setPath] = useState('');
  const [id, setId] = useState('');
  const [importing, setImporting] = useState(false);
  const hasProject = useStore((s) => s.info?.project != null);

  useEffect(() => {
    void useModels.getState().load();
  }, []);

  const installed = models.filter((m) => m.installed).length;
  return (
    <div className="models-view" data-testid="models-view">
      <header className="models-head">
        <div>
          <h2>
            Models <span className="muted">{installed} installed · {models.length - installed} available</span>
          </h2>
          <p className="muted small">Downloads resume where they stopped and are checked against their sha256 before they are installed.</p>
        </div>
        <form
          className="import-form"
          onSubmit={(e) => {
            e.preventDefault();
            setImporting(true);
            void useModels
              .getState()
              .importFolder(path.trim(), id.trim() || undefined)
              .then((ok) => {
                if (ok) {
                  setPath('');
                  setId('');
                }
              })
              .finally(() => setImporting(false));
          }}
        >
          <input name="model-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="Add a model folder (absolute path): a model, or a distilled head (head.onnx + winnow-head.json)" title="Add model folder" />
          <input name="model-id" className="id-input" value={id} onChange={(e) => setId(e.target.value)} placeholder="id (optional)" />
          <button type="submit" disabled={importing || !path.trim()}>
            {importing ? 'Importing…' : 'Import'}
          </button>
        </form>
      </header>
      {hasProject && <TaskModels />}
      {hasProject && <CalibrationPanel />}
      {!loaded && <p className="muted">Loading models…</p>}
      {loaded && (
        <table className="models-table">
          <colgroup>
            <col />
            <col style={{ width: 140 }} />
            <col style={{ width: 96 }} />
            <col style={{ width: 200 }} />
            <col style={{ width: 100 }} />
            <col style={{ width: 250 }} />
          </colgroup>
          <thead>
            <tr>
              <th>Model</th>
              <th>Task</th>
              <th>Licence</th>
              <th>Size per dtype</th>
              <th>Status</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {models.map((m) => (
              <ModelRow key={m.id} model={m} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
