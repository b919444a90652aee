import { useEffect } from 'react';
import { useStore } from '../state/store';

/** How long an error stays on screen unless the pointer rests on it. */
export const TOAST_MS = 8000;

/** The last error, dismissed with ✕ or after TOAST_MS (a new error restarts the clock). */
export function Toast() {
  const error = useStore((s) => s.error);
  useEffect(() => {
    if (!error) return;
    const timer = setTimeout(() => useStore.setState((s) => (s.error === error ? { error: null } : {})), TOAST_MS);
    return () => clearTimeout(timer);
  }, [error]);
  if (!error) return null;
  return (
    <div className="toast" role="alert" data-testid="toast">
      {error}
      <button className="toast-close" aria-label="Dismiss" onClick={() => useStore.setState({ error: null })}>✕</button>
      <span key={error} className="toast-timer" style={{ animationDuration: `${TOAST_MS}ms` }} />
    </div>
  );
}
