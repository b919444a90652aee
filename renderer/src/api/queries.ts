// The renderer's one read path: every engine read goes through a keyed query here, and engine events
// invalidate keys by what changed (items, signals, duplicates, annotations, ...), never by job titles or kinds.
import { useCallback } from 'react';
import { QueryClient, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { EventName, JobT, MethodInput } from '../../../main/api/contract';
import type { DupGroupT } from '../../../main/api/methods/curation';
import { api, connection } from './client';

export const queryClient = new QueryClient({
  defaultOptions: {
    // Freshness comes from engine events, not from timers or window focus.
    queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: false },
  },
});

/** Query keys, grouped by the data they read: an event invalidates a whole group by its first element. */
export const keys = {
  jobs: ['jobs'] as const,
  sources: ['items', 'sources'] as const,
  issues: (sourceId: number | null) => ['issues', sourceId] as const,
  duplicates: (kind: DupKind) => ['duplicates', kind] as const,
  labelCounts: ['signals', 'labels.counts'] as const,
  signals: ['signals', 'list'] as const,
  selections: ['selections'] as const,
};

type DupKind = MethodInput<'duplicates.groups'>['kind'];

/** Which query groups each engine event makes stale. Item filters read signals and duplicate keepers too. */
const staleOn: Partial<Record<EventName, readonly string[]>> = {
  'items.changed': ['items', 'issues'],
  'issues.changed': ['issues'],
  'signals.changed': ['signals', 'items', 'embeddings'],
  'duplicates.changed': ['duplicates', 'signals', 'items'],
  'annotations.changed': ['annotations', 'signals'],
  'embeddings.changed': ['embeddings'],
  'selections.changed': ['selections'],
  // Choosing a model per task announces project.changed: the status bar and every model select refetch.
  'project.changed': ['items', 'issues', 'models'],
};

/** A job snapshot replaces the one we hold only if it is newer: a list fetched before a fast job finished must not undo its `done`. */
export function newerJob(held: JobT | undefined, incoming: JobT): JobT {
  if (!held) return incoming;
  if (incoming.updatedAt !== held.updatedAt) return incoming.updatedAt > held.updatedAt ? incoming : held;
  const final = (j: JobT) => j.finishedAt !== null;
  if (final(incoming) !== final(held)) return final(incoming) ? incoming : held;
  return incoming.done >= held.done ? incoming : held;
}

function mergeJobs(held: readonly JobT[] | undefined, incoming: readonly JobT[]): JobT[] {
  const byId = new Map((held ?? []).map((j) => [j.id, j]));
  for (const j of incoming) byId.set(j.id, newerJob(byId.get(j.id), j));
  return [...byId.values()].sort((a, b) => b.id - a.id);
}

/** Records a job snapshot the engine sent (event or call result). */
export function upsertJob(job: JobT): void {
  queryClient.setQueryData<JobT[]>(keys.jobs, (held) => mergeJobs(held, [job]));
}

/** A running job announces its writes a few times a second: refetch each group at most every INVALIDATE_MS. */
const INVALIDATE_MS = 300;
const pending = new Map<string, ReturnType<typeof setTimeout>>();
function invalidateSoon(group: string): void {
  if (pending.has(group)) return;
  pending.set(group, setTimeout(() => {
    pending.delete(group);
    void queryClient.invalidateQueries({ queryKey: [group] });
  }, INVALIDATE_MS));
}

/**
 * Subscribes to the engine's events. Call before the first fetch: a fetch answered after an event merges
 * by recency, and a reconnect (events missed meanwhile) refetches everything.
 */
export function subscribeQueries(onProjectChanged: () => void): () => void {
  // Unknown until the first event: then any project.changed may be a switch.
  let projectDir: string | null | undefined;
  const offs = [
    api.on('job.progress', upsertJob),
    connection.on((up) => { if (up) void queryClient.invalidateQueries(); }),
    // Another project opened: nothing cached belongs to it. The same project (a source added): its counts moved.
    api.on('project.changed', (info) => {
      if (projectDir !== (info?.dir ?? null)) void queryClient.resetQueries();
      projectDir = info?.dir ?? null;
      onProjectChanged();
    }),
    ...Object.entries(staleOn).map(([event, groups]) => api.on(event as EventName, () => groups.forEach(invalidateSoon))),
  ];
  return () => {
    offs.forEach((off) => off());
    for (const t of pending.values()) clearTimeout(t);
    pending.clear();
  };
}

/** Whether any of the given events fires; for views whose state lives outside the query cache. */
export function onDataChanged(events: readonly EventName[], listener: () => void): () => void {
  const offs = events.map((e) => api.on(e, listener));
  return () => offs.forEach((off) => off());
}

export function useJobs(): JobT[] {
  return useQuery({
    queryKey: keys.jobs,
    queryFn: async () => {
      const listed = await api.call('jobs.list', {});
      // Merge with what events delivered while the list was on its way (read the cache only now).
      return mergeJobs(queryClient.getQueryData<JobT[]>(keys.jobs), listed);
    },
  }).data ?? [];
}

export function useIssues(sourceId: number | null, limit = 500) {
  return useQuery({
    queryKey: [...keys.issues(sourceId), limit],
    queryFn: () => api.call('issues.list', { offset: 0, limit, ...(sourceId ? { sourceId } : {}) }),
  });
}

export function useLabelCounts() {
  return useQuery({ queryKey: keys.labelCounts, queryFn: () => api.call('labels.counts', {}) });
}

/** Per-signal summaries (names, ranges): the Filters view's "add a rule" list and the Map's colour choices. */
export function useSignalList() {
  return useQuery({ queryKey: keys.signals, queryFn: () => api.call('signals.list', {}) });
}

/** One item with its issues; new signals or issues make it stale. */
export function useItemDetail(id: number) {
  return useQuery({ queryKey: ['items', 'detail', id], queryFn: () => api.call('items.get', { id }) });
}

/** The 2-D embedding map; refetched when embeddings (or, coloured by a signal or label, signals) change. */
export function useEmbeddingMap(colorBy: string) {
  return useQuery({
    queryKey: colorBy === 'none' ? ['embeddings', 'map'] : ['embeddings', 'map', colorBy],
    queryFn: () => api.call('map.get', colorBy === 'none' ? {} : { colorBy }),
    placeholderData: (previous) => previous,
  });
}

/** The model the engine runs and on which execution provider. */
export function useVisionStatus() {
  return useQuery({ queryKey: ['models', 'vision.status'], queryFn: () => api.call('vision.status', {}) });
}

/** Groups per request: well under the contract's limit of 500, and enough to fill a screen. */
export const DUP_PAGE = 100;

/** Duplicate groups of one kind, fetched a page at a time (the one place the renderer reads duplicates.groups). */
export function useDuplicateGroups(kind: DupKind) {
  const query = useInfiniteQuery({
    queryKey: keys.duplicates(kind),
    initialPageParam: 0,
    queryFn: ({ pageParam }) => api.call('duplicates.groups', { kind, offset: pageParam, limit: DUP_PAGE }),
    getNextPageParam: (last, pages) => {
      const loaded = pages.reduce((n, p) => n + p.groups.length, 0);
      return last.groups.length > 0 && loaded < last.total ? loaded : undefined;
    },
  });
  const groups: DupGroupT[] = query.data?.pages.flatMap((p) => p.groups) ?? [];
  const total = query.data?.pages.at(-1)?.total ?? 0;
  const { isFetching, hasNextPage, fetchNextPage } = query;
  // One page request at a time: a second fetchNextPage would cancel the first.
  const loadMore = useCallback(() => { if (!isFetching && hasNextPage) void fetchNextPage(); }, [isFetching, hasNextPage, fetchNextPage]);
  return { groups, total, loading: isFetching, hasMore: hasNextPage, loadMore, error: query.error };
}

export async function setDuplicateKeeper(itemId: number): Promise<void> {
  // The engine announces duplicates.changed, which refetches the groups.
  await api.call('duplicates.setKeeper', { itemId });
}
