import { useStore } from '../state/store';

/** Every skipped file, bad row and decode failure, with its reason and where it came from. */
export function IssuesView() {
  const issues = useStore((s) => s.issues);
  const total = useStore((s) => s.issueTotal);
  const sources = useStore((s) => s.sources);
  const name = (id: number | null) => (id === null ? '' : sources.find((s) => s.id === id)?.name ?? `#${id}`);
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
              <tr key={i.id} data-testid="issue-row">
                <td><span className={`sev ${i.severity}`}>{i.severity}</span></td>
                <td className="mono">{i.kind}</td>
                <td className="mono">{i.location ?? (i.itemId ? `item ${i.itemId}` : '')}</td>
                <td title={i.detail ?? undefined}>{i.message}</td>
                <td>{name(i.sourceId)}</td>
                <td className="muted small">{new Date(i.createdAt).toLocaleTimeString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {total > issues.length && <p className="muted small">Showing the first {issues.length.toLocaleString()} of {total.toLocaleString()}.</p>}
    </div>
  );
}
