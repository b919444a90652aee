import { useVisionStatus } from '../api/queries';

/** The model and the execution provider it really runs on; failed providers are listed with their reasons. */
export function ModelStatus() {
  const { data: status, error } = useVisionStatus();
  if (error) return <span className="bad" title={error.message}>model unavailable</span>;
  if (!status) return <span className="muted">loading model…</span>;
  const failed = status.attempts.filter((a) => !a.ok);
  const title = [`${status.model} (${status.dim}-d), sha256 ${status.hash.slice(0, 12)}`, ...failed.map((a) => `${a.provider}: ${a.reason}`)].join('\n');
  return (
    <span title={title} data-testid="model-status">
      {status.model} · <b>{status.provider.toUpperCase()}</b>
      {failed.length > 0 && <span className="muted"> ({failed.map((a) => a.provider).join(', ')} unavailable)</span>}
    </span>
  );
}
