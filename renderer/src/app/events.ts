import { connection } from '../api/client';
import { onDataChanged, subscribeQueries } from '../api/queries';
import { useModels } from '../state/models';
import { useStore } from '../state/store';
import { api } from '../api/client';
import { reloadMarks } from '../state/marks';

/**
 * Engine events → query invalidation (api/queries.ts) and the grid's item pages, throttled so a fast import
 * does not re-render the grid hundreds of times a second.
 */
export function subscribeToEngine(): () => void {
  let pending: ReturnType<typeof setTimeout> | null = null;
  let full = false;
  const soon = (refetchAll: boolean) => {
    full ||= refetchAll;
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      const s = useStore.getState();
      void (full ? s.refresh() : s.refreshCounts());
      full = false;
    }, 400);
  };
  // Signals and keepers decide which items a rule or label filter shows: then every page can change.
  const filtered = () => { const s = useStore.getState(); return s.gridSelection !== null || s.labelFilter !== null; };
  const offs = [
    subscribeQueries(() => void useStore.getState().refresh()),
    api.on('models.job', (job) => useModels.getState().upsertJob(job)),
    onDataChanged(['items.changed', 'issues.changed'], () => soon(false)),
    onDataChanged(['signals.changed', 'duplicates.changed'], () => { if (filtered()) soon(true); }),
    // Decisions by hand and tags (from this window, another one or the CLI): tile marks, and the rows a filter shows.
    onDataChanged(['decisions.changed', 'duplicates.changed'], () => { reloadMarks(); if (filtered() || useStore.getState().tagFilter) soon(true); }),
    connection.on((up) => {
      useStore.setState({ connected: up });
      if (up && useStore.getState().info?.project) soon(true);
    }),
  ];
  return () => offs.forEach((off) => off());
}
