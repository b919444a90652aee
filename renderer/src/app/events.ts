import { api, connection } from '../api/client';
import { useModels } from '../state/models';
import { useStore } from '../state/store';

/** Engine events → store updates, throttled so a fast import does not re-render the grid hundreds of times a second. */
export function subscribeToEngine(): () => void {
  let pending: ReturnType<typeof setTimeout> | null = null;
  const countsSoon = () => {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      void useStore.getState().refreshCounts();
    }, 400);
  };
  const offs = [
    api.on('job.progress', (job) => useStore.getState().upsertJob(job)),
    api.on('models.job', (job) => useModels.getState().upsertJob(job)),
    api.on('items.changed', countsSoon),
    api.on('issues.changed', countsSoon),
    api.on('project.changed', () => void useStore.getState().refresh()),
    connection.on((up) => useStore.setState({ connected: up })),
  ];
  return () => offs.forEach((off) => off());
}
