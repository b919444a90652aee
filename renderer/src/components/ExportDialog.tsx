import { useEffect, useMemo, useState } from 'react';
import { create } from 'zustand';
import type { ExportFormatInfoT, ExportPreviewT } from '../../../main/api/methods/formats';
import { api } from '../api/client';
import { useStore } from '../state/store';
import { PlanExport } from './PlanExport';
import './export-dialog.css';

/** Whether the Export dialog is open (opened from the sidebar). */
export const useExportDialog = create<{ open: boolean }>(() => ({ open: false }));
export const openExportDialog = () => useExportDialog.setState({ open: true });

type Value = boolean | number | string | null;

/** Export: pick a format and its options, a destination folder and a selection; see the counts; start the job. */
export function ExportDialog() {
  const open = useExportDialog((s) => s.open);
  const project = useStore((s) => s.info?.project);
  const [formats, setFormats] = useState<ExportFormatInfoT[]>([]);
  const [selections, setSelections] = useState<string[]>([]);
  const [format, setFormat] = useState('webdataset');
  const [selection, setSelection] = useState<string | null>(null);
  const [dest, setDest] = useState('');
  const [values, setValues] = useState<Record<string, Record<string, Value>>>({});
  const [preview, setPreview] = useState<ExportPreviewT | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!open) return;
    setError(null);
    api.call('export.formats', {}).then(setFormats, (e) => setError(String((e as Error).message ?? e)));
    api.call('selection.list', {}).then((l) => setSelections(l.map((s) => s.name)), () => setSelections([]));
    if (project && !dest) setDest(`${project.dir.replace(/[\\/]+$/, '')}-export`);
  }, [open]);

  const spec = formats.find((f) => f.id === format);
  const options = useMemo(() => {
    const given = values[format] ?? {};
    return Object.fromEntries((spec?.options ?? []).filter((o) => given[o.name] !== undefined).map((o) => [o.name, given[o.name]]));
  }, [values, format, spec]);

  useEffect(() => {
    if (!open || !spec) return;
    const t = setTimeout(() => {
      api.call('export.preview', { format, selection, options }).then((p) => { setPreview(p); setError(null); }, (e) => { setPreview(null); setError((e as Error).message); });
    }, 150);
    return () => clearTimeout(t);
  }, [open, spec, format, selection, options]);

  if (!open) return null;
  const close = () => useExportDialog.setState({ open: false });
  const set = (name: string, v: Value) => setValues((all) => ({ ...all, [format]: { ...(all[format] ?? {}), [name]: v } }));
  const start = async () => {
    setBusy(true);
    try {
      await api.call('export.start', { format, dest: dest.trim(), selection, options });
      close();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && close()}>
      <div className="export-dialog" role="dialog" aria-label="Export" data-testid="export-dialog" onKeyDown={(e) => e.key === 'Escape' && close()}>
        <header>
          <h2>Export dataset</h2>
          <button className="icon" aria-label="Close" onClick={close}>✕</button>
        </header>
        <div className="body">
          <div className="field">
            <span>Format</span>
            <div className="formats">
              {formats.map((f) => (
                <button key={f.id} className={f.id === format ? 'active' : ''} onClick={() => setFormat(f.id)} data-testid={`format-${f.id}`} title={f.description}>
                  <b>{f.name}</b>
                </button>
              ))}
            </div>
            {spec && <div className="desc">{spec.description}</div>}
          </div>
          <div className="options">
            <label className="field">
              <span>Items</span>
              <select value={selection ?? ''} onChange={(e) => setSelection(e.target.value || null)} data-testid="export-selection">
                <option value="">All items</option>
                {selections.map((s) => <option key={s} value={s}>Selection: {s}</option>)}
              </select>
            </label>
            <label className="field">
              <span>Destination folder</span>
              <input value={dest} onChange={(e) => setDest(e.target.value)} placeholder="/path/to/new-folder" data-testid="export-dest" spellCheck={false} />
            </label>
          </div>
          {spec && spec.options.length > 0 && (
            <div className="field">
              <span>Options</span>
              <div className="options">
                {spec.options.map((o) => {
                  const v = values[format]?.[o.name] ?? o.default;
                  if (o.type === 'boolean') {
                    return (
                      <div key={o.name} className="option check" title={o.description}>
                        <input id={`opt-${o.name}`} type="checkbox" checked={v === true} onChange={(e) => set(o.name, e.target.checked)} />
                        <label htmlFor={`opt-${o.name}`}>{o.label}<div className="desc">{o.description}</div></label>
                      </div>
                    );
                  }
                  return (
                    <div key={o.name} className="option" title={o.description}>
                      <label htmlFor={`opt-${o.name}`}>{o.label}</label>
                      {o.type === 'enum' ? (
                        <select id={`opt-${o.name}`} value={String(v)} onChange={(e) => set(o.name, e.target.value)}>
                          {o.choices!.map((c) => <option key={c} value={c}>{c}</option>)}
                        </select>
                      ) : (
                        <input id={`opt-${o.name}`} type={o.type === 'number' ? 'number' : 'text'} min={o.min} max={o.max} value={v === null ? '' : String(v)} placeholder={o.default === null ? 'off' : undefined}
                          onChange={(e) => set(o.name, o.type === 'number' ? (e.target.value === '' ? null : Number(e.target.value)) : e.target.value)} />
                      )}
                      <div className="desc">{o.description}</div>
                    </div>
                  );
                })}
              </div>
            </div>
          )}
          <div className="field">
            <span>Preview</span>
            {preview ? (
              <div className="preview" data-testid="export-preview">
                <div className="xstat"><div className="n">{preview.willWrite.toLocaleString()}</div><div className="l">items to write</div></div>
                <div className="xstat"><div className="n">{preview.removedBySelection.toLocaleString()}</div><div className="l">removed by selection</div></div>
                <div className={`xstat ${preview.withoutImage ? 'warn' : ''}`}><div className="n">{preview.withoutImage.toLocaleString()}</div><div className="l">without image (URL only)</div></div>
                <div className="xstat"><div className="n">{preview.annotations.kept.toLocaleString()}</div><div className="l">annotations ({preview.annotations.rejected} rejected dropped)</div></div>
              </div>
            ) : <div className="muted small">{error ? '' : 'Counting…'}</div>}
            {preview && preview.withoutImage > 0 && (
              <div className="download-hint small">
                {preview.withoutImage.toLocaleString()} selected items are URLs without a downloaded image{spec?.needsImages ? ' and will be skipped' : ''}.{' '}
                <button className="link" data-testid="download-urls" onClick={() => api.call('downloads.start', {}).then(() => setError(null), (e) => setError((e as Error).message))}>
                  Download them now
                </button>
              </div>
            )}
          </div>
          {error && <div className="error" role="alert">{error}</div>}
          <PlanExport selection={selection} />
        </div>
        <footer>
          <span className="grow muted small">A README.md dataset card is written with every export. Progress shows in the Jobs panel.</span>
          <button className="secondary" onClick={close}>Cancel</button>
          <button onClick={() => void start()} disabled={busy || !dest.trim() || !spec} data-testid="export-start">Export</button>
        </footer>
      </div>
    </div>
  );
}
