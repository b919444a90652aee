// Above the grid: filter by tag, and — when items are picked (click, Shift/Ctrl-click, Ctrl/Cmd-A,
// drag) — the bulk actions: keep or exclude by hand (overrides every rule), clear the decision, add or
// remove a tag, accept the proposed labels, "not a duplicate".
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { queryClient } from '../api/queries';
import { reloadMarks } from '../state/marks';
import { pickedCount, pickedIds, usePicked } from '../state/picked';
import { useStore } from '../state/store';
import './decide.css';

const CHUNK = 100_000;
export const tagsKey = ['items', 'tags'] as const;

async function inChunks(ids: number[], call: (part: number[]) => Promise<number>): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += CHUNK) n += await call(ids.slice(i, i + CHUNK));
  return n;
}

/** Runs a bulk action on the picked items, then refreshes what it can have changed. */
async function bulk(what: string, action: (ids: number[]) => Promise<number>, setNote: (s: string) => void): Promise<void> {
  const s = useStore.getState();
  try {
    setNote(`${what}…`);
    const ids = await pickedIds();
    const n = await action(ids);
    setNote(`${what}: ${n.toLocaleString()} of ${ids.length.toLocaleString()} items`);
    void queryClient.invalidateQueries({ queryKey: tagsKey });
    void queryClient.invalidateQueries({ queryKey: ['items', 'knowledge'] });
    // Under a filter the decided items may leave the view: indices would then point at other items.
    if (s.gridSelection || s.tagFilter) {
      usePicked.getState().clear();
      await s.refresh();
    }
    reloadMarks();
  } catch (err) {
    setNote('');
    s.report(err);
  }
}

export function DecideBar() {
  const ranges = usePicked((p) => p.ranges);
  const tagFilter = useStore((s) => s.tagFilter);
  const tags = useQuery({ queryKey: tagsKey, queryFn: () => api.call('tags.list', {}) });
  const [tag, setTag] = useState('');
  const [note, setNote] = useState('');
  const count = pickedCount(ranges);
  useEffect(() => { if (count === 0) setNote(''); }, [count]);

  const decide = (decision: 'keep' | 'exclude' | null, what: string) =>
    void bulk(what, (ids) => inChunks(ids, async (part) => (await api.call('decide.set', { ids: part, decision, via: 'app' })).changed), setNote);
  const tagAction = (remove: boolean) => {
    const name = tag.trim();
    if (!name) return;
    void bulk(`${remove ? 'Untagged' : 'Tagged'} “${name}”`, (ids) => inChunks(ids, async (part) => (await api.call(remove ? 'tags.remove' : 'tags.add', { ids: part, tag: name })).changed), setNote);
  };

  const tagList = tags.data ?? [];
  if (count === 0 && tagList.length === 0 && !tagFilter) return null;
  return (
    <div className={`decide-bar ${count > 0 ? 'active' : ''}`} data-testid="decide-bar">
      {count > 0 ? (
        <>
          <b data-testid="picked-count">{count.toLocaleString()}</b>&nbsp;picked
          <span className="sep" />
          <button onClick={() => decide('keep', 'Kept by hand')} data-testid="bulk-keep" title="Keep these whatever the rules say">Keep</button>
          <button onClick={() => decide('exclude', 'Excluded by hand')} data-testid="bulk-exclude" className="danger" title="Remove these whatever the rules say">Exclude</button>
          <button onClick={() => decide(null, 'Decision cleared')} data-testid="bulk-clear-decision" className="secondary" title="Give these back to the rules">Clear decision</button>
          <span className="sep" />
          <input
            value={tag} onChange={(e) => setTag(e.target.value)} placeholder="tag" list="known-tags" data-testid="tag-input" aria-label="Tag"
            onKeyDown={(e) => { if (e.key === 'Enter') tagAction(e.shiftKey); if (e.key === 'Escape') (e.target as HTMLInputElement).blur(); }}
          />
          <datalist id="known-tags">{tagList.map((t) => <option key={t.tag} value={t.tag} />)}</datalist>
          <button onClick={() => tagAction(false)} data-testid="bulk-tag" disabled={!tag.trim()}>Add tag</button>
          <button onClick={() => tagAction(true)} data-testid="bulk-untag" className="secondary" disabled={!tag.trim()}>Remove tag</button>
          <span className="sep" />
          <button className="secondary" data-testid="bulk-accept-labels" onClick={() => void bulk('Accepted labels', async (ids) => {
            let n = 0;
            for (let i = 0; i < ids.length; i += CHUNK) n += (await api.call('labels.acceptFor', { ids: ids.slice(i, i + CHUNK) })).accepted;
            return n;
          }, setNote)}>Accept labels</button>
          <button className="secondary" data-testid="bulk-not-dup" title="These are not duplicates of the other members of their groups (remembered by later dedup runs)" onClick={() => void bulk('Not duplicates', async (ids) => {
            let n = 0;
            for (let i = 0; i < ids.length; i += 10_000) n += (await api.call('duplicates.notDuplicate', { ids: ids.slice(i, i + 10_000) })).groups;
            return n;
          }, setNote)}>Not a duplicate</button>
          <button className="link" onClick={() => usePicked.getState().clear()} data-testid="pick-clear">Clear selection (Esc)</button>
        </>
      ) : (
        <span className="muted small">Click, Shift-click, Ctrl/⌘-click, Ctrl/⌘-A or drag to pick items</span>
      )}
      <span className="spacer" />
      {note && <span className="muted small" data-testid="bulk-note" role="status">{note}</span>}
      {tagList.length > 0 && (
        <label className="small tag-filter">
          Tag&nbsp;
          <select value={tagFilter ?? ''} onChange={(e) => useStore.getState().setTagFilter(e.target.value || null)} data-testid="tag-filter">
            <option value="">all items</option>
            {tagList.map((t) => <option key={t.tag} value={t.tag}>{t.tag} ({t.count})</option>)}
          </select>
        </label>
      )}
    </div>
  );
}
