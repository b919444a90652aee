import { useEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import type { MethodResult } from '../../../main/api/contract';
import { api } from '../api/client';
import { isAbsolutePath } from '../api/pick-path';
import './folder-browser.css';

type Listing = MethodResult<'fs.list'>;

/**
 * Browser mode's path picker: the server's folders (only those this user may read, within WINNOW_BROWSE_ROOTS when the
 * server sets it). Click or Enter opens a folder, Backspace goes up, a typed absolute path goes there; "Choose" takes the
 * folder shown (or, picking a file, click the file).
 */
export function FolderBrowser({ kind, title, start, onPick, onClose }: {
  kind: 'folder' | 'file' | 'any'; title: string; start?: string; onPick: (path: string) => void; onClose: () => void;
}) {
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [typed, setTyped] = useState('');
  const list = useRef<HTMLUListElement>(null);

  const go = async (dir?: string) => {
    try {
      const l = await api.call('fs.list', { ...(dir && { dir }), ...(kind !== 'folder' && { files: true }) });
      setListing(l);
      setTyped(l.dir);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  // Each folder opened puts the keyboard on its first entry.
  useEffect(() => { (list.current?.querySelector('button') as HTMLButtonElement | null)?.focus(); }, [listing]);
  useEffect(() => { void go(start && isAbsolutePath(start) ? start : undefined).then(() => undefined); }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') { e.preventDefault(); onClose(); }
    else if (e.key === 'Backspace' && (e.target as HTMLElement).tagName !== 'INPUT' && listing?.parent) { e.preventDefault(); void go(listing.parent); }
    else if ((e.key === 'ArrowDown' || e.key === 'ArrowUp') && (e.target as HTMLElement).closest('.fb-list')) {
      e.preventDefault();
      const buttons = [...(list.current?.querySelectorAll('button') ?? [])] as HTMLButtonElement[];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      buttons[Math.max(0, Math.min(buttons.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))]?.focus();
    }
  };

  // A portal, and no event leaves it: the field that opened the browser usually sits in a form of its own.
  return createPortal(
    <div className="fb-backdrop" onClick={onClose} onSubmit={(e) => e.stopPropagation()} onKeyDown={(e) => e.stopPropagation()}>
      <div className="fb" role="dialog" aria-label={title} data-testid="folder-browser" onClick={(e) => e.stopPropagation()} onKeyDown={onKey}>
        <h3>{title}</h3>
        <form className="fb-path" onSubmit={(e) => { e.preventDefault(); e.stopPropagation(); if (isAbsolutePath(typed.trim())) void go(typed.trim()); else setError('Type an absolute path (starting with /), or pick a folder below.'); }}>
          <button type="button" className="secondary" disabled={!listing?.parent} onClick={() => listing?.parent && void go(listing.parent)} title="Up one folder (Backspace)" data-testid="fb-up">↑ Up</button>
          <input name="fb-path" value={typed} onChange={(e) => setTyped(e.target.value)} spellCheck={false} aria-label="Folder path" />
          <button type="submit" className="secondary">Go</button>
        </form>
        {error && <p className="error" role="alert" data-testid="fb-error">{error}</p>}
        <ul className="fb-list" ref={list} data-testid="fb-list">
          {listing?.entries.map((e) => (
            <li key={e.path}>
              <button
                className={`fb-entry ${e.kind}`}
                data-testid="fb-entry"
                data-kind={e.kind}
                onClick={() => (e.kind === 'dir' ? void go(e.path) : onPick(e.path))}
                title={e.path}
              >
                <span className="fb-icon">{e.kind === 'dir' ? (e.project ? '◆' : '▸') : '·'}</span>
                {e.name}
                {e.project && <span className="muted small"> Winnow project</span>}
              </button>
            </li>
          ))}
          {listing && listing.entries.length === 0 && <li className="muted small">No {kind === 'folder' ? 'sub-folders' : 'folders or files'} you can read here.</li>}
          {listing?.truncated && <li className="muted small">Only the first {listing.entries.length.toLocaleString()} are listed: type a path to go deeper.</li>}
        </ul>
        <div className="fb-actions">
          <span className="muted small fb-chosen">{kind === 'file' ? 'Click a file to choose it' : listing?.dir}</span>
          <button type="button" className="secondary" onClick={onClose}>Cancel</button>
          {kind !== 'file' && <button type="button" disabled={!listing} onClick={() => listing && onPick(listing.dir)} data-testid="fb-choose">Choose this folder</button>}
        </div>
      </div>
    </div>,
    document.body,
  );
}
