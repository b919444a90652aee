import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { SavedViewT } from '../../../main/api/contract';
import { api } from '../api/client';
import { keys } from '../api/queries';
import { applyViewState, currentViewState } from '../state/view-state';
import { useStore } from '../state/store';

export function useSavedViews(): SavedViewT[] {
  return useQuery({ queryKey: keys.views, queryFn: () => api.call('views.list', {}) }).data ?? [];
}

/** "Save view": names the current view (search, region, label, rules, source) and stores it in the project. */
export function SaveViewButton() {
  const [name, setName] = useState<string | null>(null);
  const save = async () => {
    if (!name?.trim()) return;
    try {
      await api.call('views.save', { name: name.trim(), state: currentViewState() });
      setName(null);
    } catch (err) {
      useStore.getState().report(err);
    }
  };
  if (name === null) return <button className="secondary small" data-testid="save-view" onClick={() => setName('')}>Save view…</button>;
  return (
    <form className="save-view" onSubmit={(e) => { e.preventDefault(); void save(); }}>
      <input autoFocus name="view-name" aria-label="View name" placeholder="View name" value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setName(null)} />
      <button type="submit" disabled={!name.trim()}>Save</button>
    </form>
  );
}

/** The sidebar's list of saved views: click opens one, ✎ renames, ✕ asks once more and deletes. */
export function SavedViewsList() {
  const views = useSavedViews();
  const [renaming, setRenaming] = useState<{ from: string; to: string } | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const call = (p: Promise<unknown>) => p.catch((err: unknown) => useStore.getState().report(err));
  return (
    <>
      <h3>Saved views</h3>
      <ul className="saved-views" data-testid="saved-views">
        {views.map((v) => (
          <li key={v.id} data-testid="saved-view">
            {renaming?.from === v.name ? (
              <form onSubmit={(e) => { e.preventDefault(); if (renaming.to.trim()) void call(api.call('views.rename', { name: v.name, to: renaming.to.trim() })).then(() => setRenaming(null)); }}>
                <input autoFocus aria-label={`New name for ${v.name}`} value={renaming.to} onChange={(e) => setRenaming({ from: v.name, to: e.target.value })} onKeyDown={(e) => e.key === 'Escape' && setRenaming(null)} />
              </form>
            ) : (
              <>
                <button className="view-open" title={v.summary} onClick={() => void applyViewState(v.state)}>
                  <span className="name">{v.name}</span>
                  <span className="muted small summary">{v.summary}</span>
                </button>
                <button className="icon" aria-label={`Rename ${v.name}`} onClick={() => setRenaming({ from: v.name, to: v.name })}>✎</button>
                {deleting === v.name
                  ? <button className="danger small" onClick={() => void call(api.call('views.delete', { name: v.name })).then(() => setDeleting(null))}>Delete?</button>
                  : <button className="icon" aria-label={`Delete ${v.name}`} onClick={() => setDeleting(v.name)}>✕</button>}
              </>
            )}
          </li>
        ))}
        {views.length === 0 && <li className="muted small">None yet: search, pick a map region or filter, then “Save view…”.</li>}
      </ul>
    </>
  );
}
