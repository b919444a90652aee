import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { DupGroupT } from '../../../main/api/methods/curation';
import { api } from '../api/client';
import { queryClient, setDuplicateKeeper, useDuplicateGroups } from '../api/queries';
import { reloadMarks } from '../state/marks';
import { useStore } from '../state/store';
import { SemanticDedupControls } from './SemanticDedupControls';
import { EmbedPrompt } from '../components/EmbedPrompt';
import '../components/decide.css';

type Kind = 'exact' | 'phash' | 'semantic';

const likeness = (kind: Kind, v: number | null | undefined): string =>
  v === null || v === undefined ? '' : kind === 'exact' ? 'identical' : kind === 'phash' ? `${Math.round(v * 100)}% alike` : `cos ${v.toFixed(3)}`;

/**
 * Duplicate clusters side by side, keeper marked, each with its similarity and each copy's source.
 * ↑/↓ move between clusters, ←/→ between items, `k` makes the focused item the keeper (saved at once;
 * recomputing groups honours it), `n` says the focused item is not a duplicate (remembered), `x`/Space
 * checks a group for the bulk actions (Ctrl/⌘-A checks every loaded group).
 */
export function DuplicatesView() {
  const [kind, setKind] = useState<Kind>('phash');
  const [focus, setFocus] = useState<[number, number]>([0, 0]);
  const [checked, setChecked] = useState<Set<number>>(new Set());
  const [compact, setCompact] = useState(() => localStorage.getItem('winnow.dups.compact') !== '0');
  const [note, setNote] = useState('');
  const listRef = useRef<HTMLDivElement>(null);
  const report = useStore.getState().report;
  // Pages of groups; the engine's duplicates.changed event (a statistics run, a keeper choice) refetches them.
  const { groups, total, loading, hasMore, loadMore, error } = useDuplicateGroups(kind);
  const decisions = useMemberDecisions(groups);

  useEffect(() => { setFocus([0, 0]); setChecked(new Set()); }, [kind]);
  useEffect(() => { if (error) report(error); }, [error, report]);
  useEffect(() => localStorage.setItem('winnow.dups.compact', compact ? '1' : '0'), [compact]);

  const makeKeeper = useCallback((itemId: number) => setDuplicateKeeper(itemId).catch(report), [report]);
  const notDuplicate = useCallback(async (ids: number[]) => {
    try {
      const { groups: n } = await api.call('duplicates.notDuplicate', { ids, kind });
      setNote(`Marked ${ids.length} not a duplicate (${n} ${n === 1 ? 'group' : 'groups'} changed)`);
      reloadMarks();
    } catch (err) {
      report(err);
    }
  }, [kind, report]);

  const toggleGroup = (keeper: number) => setChecked((c) => { const next = new Set(c); if (next.has(keeper)) next.delete(keeper); else next.add(keeper); return next; });

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).closest('input, textarea, select') || groups.length === 0) return;
      const [g, m] = focus;
      const members = groups[g]?.members.length ?? 1;
      if (e.key === 'ArrowDown' || e.key === 'j') setFocus([Math.min(groups.length - 1, g + 1), 0]);
      else if (e.key === 'ArrowUp') setFocus([Math.max(0, g - 1), 0]);
      else if (e.key === 'ArrowRight') setFocus([g, Math.min(members - 1, m + 1)]);
      else if (e.key === 'ArrowLeft') setFocus([g, Math.max(0, m - 1)]);
      else if (e.key === 'k' && !e.ctrlKey && !e.metaKey) void makeKeeper(groups[g].members[m].id);
      else if (e.key === 'n') void notDuplicate([groups[g].members[m].id]);
      else if (e.key === 'x' || e.key === ' ') toggleGroup(groups[g].keeper);
      else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') setChecked(new Set(groups.map((x) => x.keeper)));
      else if (e.key === 'Escape') setChecked(new Set());
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [focus, groups, makeKeeper, notDuplicate]);

  // Only a focus move scrolls: a page arriving while the curator scrolls with the mouse must not jump back.
  useEffect(() => {
    listRef.current?.querySelector('.dup-member.focused')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [focus]);

  useEffect(() => {
    // Near the end of what is loaded: fetch the next page.
    if (focus[0] >= groups.length - 3 && hasMore && !loading) loadMore();
  }, [focus, groups.length, hasMore, loading, loadMore]);

  const picked = groups.filter((g) => checked.has(g.keeper));
  const bulk = async (what: string, keep: number[], exclude: number[]) => {
    try {
      if (keep.length) await api.call('decide.set', { ids: keep, decision: 'keep', via: 'app' });
      if (exclude.length) await api.call('decide.set', { ids: exclude, decision: 'exclude', via: 'app' });
      setNote(`${what}: ${picked.length} ${picked.length === 1 ? 'group' : 'groups'}`);
      void queryClient.invalidateQueries({ queryKey: ['items', 'marks-dups'] });
      reloadMarks();
    } catch (err) {
      report(err);
    }
  };
  const others = (gs: DupGroupT[]) => gs.flatMap((g) => g.members.filter((m) => !m.keeper).map((m) => m.id));

  return (
    <div className={`dups-view ${compact ? 'compact' : ''}`} data-testid="duplicates">
      <div className="dups-head">
        <h2>Duplicates <span className="muted">{total.toLocaleString()} groups</span></h2>
        <div className="segmented" role="tablist">
          <button role="tab" aria-selected={kind === 'phash'} className={kind === 'phash' ? 'active' : ''} onClick={() => setKind('phash')}>Perceptual</button>
          <button role="tab" aria-selected={kind === 'exact'} className={kind === 'exact' ? 'active' : ''} onClick={() => setKind('exact')}>Exact</button>
          <button role="tab" aria-selected={kind === 'semantic'} className={kind === 'semantic' ? 'active' : ''} onClick={() => setKind('semantic')} data-testid="dup-kind-semantic">Semantic</button>
        </div>
        {kind === 'semantic' && <SemanticDedupControls />}
        {kind === 'semantic' && <EmbedPrompt reason="Semantic near-duplicates compare image embeddings." />}
        <label className="small"><input type="checkbox" checked={compact} onChange={(e) => setCompact(e.target.checked)} data-testid="dup-compact" style={{ width: 'auto' }} /> compact</label>
        <span className="spacer" />
        <span className="muted small keys-hint"><kbd>↑</kbd><kbd>↓</kbd> group · <kbd>←</kbd><kbd>→</kbd> item · <kbd>k</kbd> keep this one · <kbd>n</kbd> not a duplicate · <kbd>x</kbd> check group</span>
      </div>
      {(picked.length > 0 || note) && (
        <div className="dup-bulk" data-testid="dup-bulk">
          {picked.length > 0 && (
            <>
              <b data-testid="dup-checked-count">{picked.length}</b> groups checked
              <button onClick={() => void bulk('Kept keepers, excluded the other copies', picked.map((g) => g.keeper), others(picked))} data-testid="dup-bulk-discard">Keep keepers, exclude copies</button>
              <button className="secondary" onClick={() => void bulk('Kept every copy', picked.flatMap((g) => g.members.map((m) => m.id)), [])} data-testid="dup-bulk-keep">Keep all copies</button>
              <button className="secondary" onClick={() => { void notDuplicate(others(picked)); setChecked(new Set()); }} data-testid="dup-bulk-not-dup">Not duplicates</button>
              <button className="link" onClick={() => setChecked(new Set())}>Uncheck (Esc)</button>
            </>
          )}
          <span className="spacer" />
          {note && <span className="muted small" role="status" data-testid="dup-note">{note}</span>}
        </div>
      )}
      {total === 0 && !loading && (
        <div className="empty">
          <h3>No {kind === 'exact' ? 'exact' : kind === 'semantic' ? 'semantic' : 'perceptual'} duplicates</h3>
          <p className="muted">{kind === 'semantic' ? 'Semantic near-duplicates come from the image embeddings: run “Find semantic duplicates” (winnow dedup --semantic).' : 'Duplicates are found by the statistics job (Filters → Run statistics).'}</p>
        </div>
      )}
      <div className="dups-list" ref={listRef}>
        {groups.map((g, gi) => (
          <section key={g.members[0].id} className={`dup-group ${gi === focus[0] ? 'focused' : ''} ${checked.has(g.keeper) ? 'checked' : ''}`} data-testid="dup-group" data-similarity={g.similarity ?? ''}>
            <div className="dup-group-head small muted">
              <input type="checkbox" checked={checked.has(g.keeper)} onChange={() => toggleGroup(g.keeper)} aria-label={`Check group ${gi + 1}`} data-testid="dup-check" style={{ width: 'auto' }} />
              <span>Group {gi + 1} · {g.members.length} items</span>
              {g.similarity !== null && g.similarity !== undefined && <span className="dup-sim" data-testid="dup-similarity" title="the least alike copy, compared with the keeper">{likeness(kind, g.similarity)}</span>}
              {new Set(g.members.map((m) => m.source)).size > 1 && <span className="dup-source">across {new Set(g.members.map((m) => m.source)).size} sources</span>}
            </div>
            <div className="dup-members">
              {g.members.map((m, mi) => {
                const manual = decisions.get(m.id);
                return (
                  <figure
                    key={m.id}
                    className={`dup-member ${m.keeper ? 'keeper' : ''} ${gi === focus[0] && mi === focus[1] ? 'focused' : ''}`}
                    data-testid="dup-member"
                    data-item={m.id}
                    data-keeper={m.keeper}
                    onClick={() => setFocus([gi, mi])}
                    onDoubleClick={() => void makeKeeper(m.id)}
                  >
                    <div className="dup-thumb">
                      <img src={api.mediaUrl('thumb', m.id)} alt={m.caption ?? m.key} loading="lazy" />
                      {m.keeper && <span className="keeper-badge">KEEPER</span>}
                      {manual && <span className={`manual-mark ${manual}`} data-testid="dup-manual">{manual === 'keep' ? 'kept' : 'excluded'}</span>}
                    </div>
                    <figcaption>
                      <div className="mono wrap" title={m.key}>{m.key}</div>
                      <div className="muted small">
                        {m.width && `${m.width}×${m.height}`}
                        {kind !== 'semantic' && m.distance !== null && !m.keeper && ` · Δ ${m.distance} bits`}
                        {kind === 'semantic' && !m.keeper && m.similarity != null && ` · cos ${m.similarity.toFixed(3)}`}
                      </div>
                      {m.source && <div className="small dup-source" data-testid="dup-member-source" title="the source this copy came from">{m.source}</div>}
                    </figcaption>
                  </figure>
                );
              })}
            </div>
          </section>
        ))}
        {hasMore && <MoreGroups shown={groups.length} total={total} loading={loading} onMore={loadMore} />}
      </div>
    </div>
  );
}

/** Decisions by hand on the loaded groups' members (≤ 1000 per call). */
function useMemberDecisions(groups: DupGroupT[]): Map<number, 'keep' | 'exclude'> {
  const ids = useMemo(() => groups.flatMap((g) => g.members.map((m) => m.id)), [groups]);
  const q = useQuery({
    queryKey: ['items', 'marks-dups', ids],
    enabled: ids.length > 0,
    queryFn: async () => {
      const out = new Map<number, 'keep' | 'exclude'>();
      for (let i = 0; i < ids.length; i += 1000) {
        for (const m of await api.call('items.marks', { ids: ids.slice(i, i + 1000), rules: [] })) if (m.manual) out.set(m.id, m.manual.decision);
      }
      return out;
    },
  });
  return q.data ?? new Map();
}

/** The end of the loaded groups: scrolling it into view (or clicking it) fetches the next page. */
function MoreGroups({ shown, total, loading, onMore }: { shown: number; total: number; loading: boolean; onMore: () => void }) {
  const ref = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el || loading) return;
    const io = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) onMore(); });
    io.observe(el);
    return () => io.disconnect();
  }, [loading, onMore, shown]);
  return (
    <button ref={ref} className="secondary dup-more" data-testid="dup-more" disabled={loading} onClick={onMore}>
      {loading ? 'Loading…' : `Show more groups (${shown.toLocaleString()} of ${total.toLocaleString()})`}
    </button>
  );
}
