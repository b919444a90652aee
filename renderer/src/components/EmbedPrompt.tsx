import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { upsertJob, useJobs } from '../api/queries';
import { useStore } from '../state/store';

const IMPORT_KINDS = new Set(['import']);

/**
 * "Embed now": the path from import to embedding. Shown where embeddings are needed (grid after an import,
 * search, map) while items lack them and no embed job has run since the last import; a running embed shows
 * its progress instead of a second button.
 */
export function EmbedPrompt({ reason }: { reason: string }) {
  const itemCount = useStore((s) => s.info?.project?.itemCount ?? 0);
  const sets = useQuery({ queryKey: ['embeddings', 'list'], queryFn: () => api.call('embeddings.list', {}) }).data;
  const jobs = useJobs();
  if (!sets || itemCount === 0) return null;
  const embedded = Math.max(0, ...sets.map((s) => s.images));
  const lastImport = jobs.find((j) => IMPORT_KINDS.has(j.kind));
  const lastEmbed = jobs.find((j) => j.kind === 'embed');
  const running = lastEmbed && (lastEmbed.state === 'running' || lastEmbed.state === 'queued') ? lastEmbed : null;
  // Items that cannot be decoded are never embedded: after an embed that ran past the last import, nothing is missing.
  const upToDate = embedded > 0 && lastEmbed?.state === 'done' && (!lastImport || lastEmbed.id > lastImport.id);
  if (!running && (embedded >= itemCount || upToDate)) return null;
  const start = () => api.call('embed.start', {}).then((r) => api.call('jobs.get', { id: r.jobId })).then(upsertJob, useStore.getState().report);
  return (
    <div className="embed-prompt" data-testid="embed-prompt" role="status">
      {running ? (
        <span>Embedding images… {running.done.toLocaleString()}{running.total ? ` / ${running.total.toLocaleString()}` : ''}</span>
      ) : (
        <>
          <span><b>{(itemCount - embedded).toLocaleString()}</b> of {itemCount.toLocaleString()} items have no image embedding yet. {reason}</span>
          <button className="primary" data-testid="embed-now" onClick={() => void start()}>Embed now</button>
        </>
      )}
    </div>
  );
}
