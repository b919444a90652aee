import { useEffect, useState } from 'react';
import type { MethodResult } from '../../../main/api/contract';
import { api } from '../api/client';

type Status = MethodResult<'vision.status'>;

/** The model and the execution provider it really runs on; failed providers are listed with their reasons. */
export function ModelStatus() {
  const [status, setStatus] = useState<Status | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.call('vision.status', {}).then(setStatus, (err: Error) => setError(err.message));
  }, []);
  if (error) return <span className="bad" title={error}>model unavailable</span>;
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
