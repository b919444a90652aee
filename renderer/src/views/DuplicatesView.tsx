import { useCallback, useEffect, useRef, useState } from 'react';
import { api } from '../api/client';
import { setDuplicateKeeper, useDuplicateGroups } from '../api/queries';
import { useStore } from '../state/store';
import { SemanticDedupControls } from './SemanticDedupControls';
import { EmbedPrompt } from '../components/EmbedPrompt';

type Kind = 'exact' | 'phash' | 'semantic';

/**
 * Duplicate clusters side by side, keeper marked. ↑/↓ move between clusters, ←/→ between items,
 * `k` makes the focused item the keeper (saved at once; recomputing groups honours it).
 */
export function DuplicatesView() {
  const [kind, setKind] = useState<Kind>('phash');
  const [focus, setFocus] = useState<[number, number]>([0, 0]);
  const listRef = useRef<HTMLDivElement>(null);
  const report = useStore.getState().report;
  // Pages of groups; the engine's duplicates.changed event (a statistics run, a keeper choice) refetches them.
  const { groups, total, loading, hasMore, loadMore, error } = useDuplicateGroups(kind);

  useEffect(() => setFocus([0, 0]), [kind]);
  useEffect(() => { if (error) report(error); }, [error, report]);

  const makeKeeper = useCallback((itemId: number) => setDuplicateKeeper(itemId).catch(report), [report]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).closest('input, textarea, select') || groups.length === 0) return;
      const [g, m] = focus;
      const members = groups[g]?.members.length ?? 1;
      if (e.key === 'ArrowDown' || e.key === 'j') setFocus([Math.min(groups.length - 1, g + 1), 0]);
      else if (e.key === 'ArrowUp') setFocus([Math.max(0, g - 1), 0]);
      else if (e.key === 'ArrowRight') setFocus([g, Math.min(members - 1, m + 1)]);
      else if (e.key === 'ArrowLeft') setFocus([g, Math.max(0, m - 1)]);
      else if (e.key === 'k') void makeKeeper(groups[g].members[m].id);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [focus, groups, makeKeeper]);

  // Only a focus move scrolls: a page arriving while the curator scrolls with the mouse must not jump back.
  useEffect(() => {
    listRef.current?.querySelector('.dup-member.focused')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [focus]);

  useEffect(() => {
    // Near the end of what is loaded: fetch the next page.
    if (focus[0] >= groups.length - 3 && hasMore && !loading) loadMore();
  }, [focus, groups.length, hasMore, loading, loadMore]);

  return (
    <div className="dups-view" data-testid="duplicates">
      <div className="dups-head">
        <h2>Duplicates <span className="muted">{total.toLocaleString()} groups</span></h2>
        <div className="segmented" role="tablist">
          <button role="tab" aria-selected={kind === 'phash'} className={kind === 'phash' ? 'active' : ''} onClick={() => setKind('phash')}>Perceptual</button>
          <button role="tab" aria-selected={kind === 'exact'} className={kind === 'exact' ? 'active' : ''} onClick={() => setKind('exact')}>Exact</button>
          <button role="tab" aria-selected={kind === 'semantic'} className={kind === 'semantic' ? 'active' : ''} onClick={() => setKind('semantic')} data-testid="dup-kind-semantic">Semantic</button>
        </div>
        {kind === 'semantic' && <SemanticDedupControls />}
        {kind === 'semantic' && <EmbedPrompt reason="Semantic near-duplicates compare image embeddings." />}
        <span className="spacer" />
        <span className="muted small keys-hint"><kbd>↑</kbd><kbd>↓</kbd> group · <kbd>←</kbd><kbd>→</kbd> item · <kbd>k</kbd> keep this one</span>
      </div>
      {total === 0 && !loading && (
        <div className="empty">
          <h3>No {kind === 'exact' ? 'exact' : kind === 'semantic' ? 'semantic' : 'perceptual'} duplicates</h3>
          <p className="muted">{kind === 'semantic' ? 'Semantic near-duplicates come from the image embeddings: run “Find semantic duplicates” (winnow dedup --semantic).' : 'Duplicates are found by the statistics job (Filters → Run statistics).'}</p>
        </div>
      )}
      <div className="dups-list" ref={listRef}>
        {groups.map((g, gi) => (
          <section key={g.members[0].id} className={`dup-group ${gi === focus[0] ? 'focused' : ''}`} data-testid="dup-group">
            <div className="dup-group-head small muted">
              Group {gi + 1} · {g.members.length} items
            </div>
            <div className="dup-members">
              {g.members.map((m, mi) => (
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
                  </div>
                  <figcaption>
                    <div className="mono wrap">{m.key}</div>
                    <div className="muted small">
                      {m.width && `${m.width}×${m.height}`}
                      {kind !== 'semantic' && m.distance !== null && !m.keeper && ` · Δ ${m.distance} bits`}
                    </div>
                  </figcaption>
                </figure>
              ))}
            </div>
          </section>
        ))}
        {hasMore && <MoreGroups shown={groups.length} total={total} loading={loading} onMore={loadMore} />}
      </div>
    </div>
  );
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
