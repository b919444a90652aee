import { type ReactNode, useState } from 'react';
import type { MethodResult } from '../../../main/api/contract';
import { api } from '../api/client';
import { isAbsolutePath, nativePicker } from '../api/pick-path';
import { FolderBrowser } from './FolderBrowser';
import './folder-browser.css';

/** A path input with "Browse…": the native dialog in Electron, the server's folder browser in browser mode ("any": a folder or a file). */
export function PathField({ name, value, onChange, kind, title, placeholder, required }: {
  name: string; value: string; onChange: (path: string) => void; kind: 'folder' | 'file' | 'any'; title: string; placeholder?: string; required?: boolean;
}) {
  const [browsing, setBrowsing] = useState(false);
  const browse = async () => {
    const native = nativePicker();
    if (!native) return setBrowsing(true);
    // The native dialog picks a folder or a file, not either: "any" (a source: folder or manifest) asks for a folder.
    const chosen = await native({ kind: kind === 'file' ? 'file' : 'folder', title, ...(isAbsolutePath(value) && { defaultPath: value }) });
    if (chosen) onChange(chosen);
  };
  return (
    <span className="path-field">
      <input name={name} value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} required={required} spellCheck={false} />
      <button type="button" className="secondary" onClick={() => void browse()} data-testid={`browse-${name}`}>Browse…</button>
      {browsing && <FolderBrowser kind={kind} title={title} start={value.trim() || undefined} onClose={() => setBrowsing(false)} onPick={(p) => { setBrowsing(false); onChange(p); }} />}
    </span>
  );
}

type Resolved = MethodResult<'fs.resolve'>;

/**
 * Never a silent guess for a relative path: `ensure(typed, use)` runs `use` at once for an absolute path; for "~/x" or
 * "x/y" it asks the engine what absolute path that would be (from the browse root or home, never the server's working folder)
 * and shows it (`prompt`) for the person to accept or edit.
 */
export function useAbsolutePath(): { ensure: (typed: string, use: (abs: string) => void) => Promise<void>; prompt: ReactNode } {
  const [pending, setPending] = useState<{ resolved: Resolved; use: (abs: string) => void } | null>(null);
  const ensure = async (typed: string, use: (abs: string) => void) => {
    const t = typed.trim();
    if (isAbsolutePath(t)) { setPending(null); use(t); return; }
    setPending({ resolved: await api.call('fs.resolve', { path: t }), use });
  };
  const prompt = pending && (
    <div className="path-confirm" role="alertdialog" aria-label="Confirm the full path" data-testid="path-confirm">
      <span>“{pending.resolved.input}” is not a full path. Winnow would use</span>
      <code data-testid="path-confirm-absolute">{pending.resolved.absolute}</code>
      <span className="muted small">
        {pending.resolved.base ? `taken from ${pending.resolved.base}` : ''}
        {pending.resolved.exists ? ` · exists (${pending.resolved.kind === 'dir' ? 'folder' : 'file'})` : ' · does not exist yet'}
      </span>
      <div className="row">
        <button type="button" autoFocus onClick={() => { const p = pending; setPending(null); p.use(p.resolved.absolute); }} data-testid="path-confirm-use">Use this path</button>
        <button type="button" className="secondary" onClick={() => setPending(null)}>Edit</button>
      </div>
    </div>
  );
  return { ensure, prompt };
}
