import { Fragment, useState } from 'react';
import { useIssues } from '../api/queries';
import { useStore } from '../state/store';

/**
 * Every skipped file, bad row and decode failure, with its reason in plain words and where it came from. A row
 * about an item opens that item (click or Enter); the tool's raw message (libvips, a parser) sits behind "details".
 */
export function IssuesView() {
  const sourceFilter = useStore((s) => s.sourceFilter);
  const { data } = useIssues(sourceFilter);
  const issues = data?.issues ?? [];
  const total = data?.total ?? 0;
  const sources = useStore((s) => s.sources);
  const [open, setOpen] = useState<Set<number>>(new Set());
  const name = (id: number | null) => (id === null ? '' : sources.find((s) => s.id === id)?.name ?? `#${id}`);
  const toggle = (id: number) => setOpen((o) => {
    const next = new Set(o);
    if (!next.delete(id)) next.add(id);
    return next;
  });
  const openItem = (itemId: number | null) => { if (itemId !== null) useStore.setState({ openItem: itemId }); };
  return (
    <div className="issues-view" data-testid="issues">
      <h2>Issues <span className="muted">{total.toLocaleString()}</span></h2>
      {total === 0 && <p className="muted">No issues: every file and row was read.</p>}
      {total > 0 && (
        <table className="issues-table">
          <thead>
            <tr><th>Severity</th><th>Kind</th><th>Where</th><th>Reason</th><th>Source</th><th>When</th></tr>
          </thead>
          <tbody>
            {issues.map((i) => (
              <Fragment key={i.id}>
                <tr
                  data-testid="issue-row"
                  data-item={i.itemId ?? undefined}
                  className={i.itemId !== null ? 'opens' : undefined}
                  tabIndex={i.itemId !== null ? 0 : undefined}
                  title={i.itemId !== null ? 'Open this item' : undefined}
                  onClick={(e) => { if (!(e.target as HTMLElement).closest('button')) openItem(i.itemId); }}
                  onKeyDown={(e) => { if (e.key === 'Enter' && e.target === e.currentTarget) openItem(i.itemId); }}
                >
                  <td><span className={`sev ${i.severity}`}>{i.severity}</span></td>
                  <td className="mono">{i.kind}</td>
                  <td className="mono">{i.location ?? (i.itemId ? `item ${i.itemId}` : '')}</td>
                  <td>
                    {i.message}
                    {i.detail && (
                      <button className="link small issue-details-toggle" aria-expanded={open.has(i.id)} onClick={() => toggle(i.id)} data-testid="issue-details-toggle">
                        {open.has(i.id) ? 'hide details' : 'details'}
                      </button>
                    )}
                  </td>
                  <td>{name(i.sourceId)}</td>
                  <td className="muted small">{new Date(i.createdAt).toLocaleTimeString()}</td>
                </tr>
                {i.detail && open.has(i.id) && (
                  <tr className="issue-detail" data-testid="issue-detail">
                    <td colSpan={6}><span className="muted small">What the decoder said:</span><pre>{i.detail}</pre></td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {total > issues.length && <p className="muted small">Showing the first {issues.length.toLocaleString()} of {total.toLocaleString()}.</p>}
    </div>
  );
}
