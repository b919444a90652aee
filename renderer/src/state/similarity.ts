// Search and map actions. A search runs inside the current view (source, rule list, label, map region) and
// fills the grid's results mode (useStore.results) a page of hits at a time; a map region is a filter.
import { api } from '../api/client';
import { type GridResults, itemFilter, useStore } from './store';

export const SEARCH_K = 100;

type Search = NonNullable<GridResults['search']>;

/** One page of hits for a search inside the current view. */
async function page(search: Search, offset: number, minScore: number | undefined, exact: boolean) {
  const within = itemFilter(useStore.getState());
  const paging = { k: SEARCH_K, offset, ...(minScore !== undefined && { minScore }), ...(Object.keys(within).length ? { within } : {}), ...(exact && { exact }) };
  return 'text' in search ? api.call('search.text', { query: search.text, ...paging }) : api.call('search.similar', { itemId: search.similarTo, ...paging });
}

/** Runs (or re-runs, with another cutoff or after the view changed) a search; the grid shows its first page. `exact`: scan every row. */
export async function runSearch(search: Search, minScore?: number, label?: string, exact = false): Promise<void> {
  try {
    const res = await page(search, 0, minScore, exact);
    const similar = 'similarTo' in search;
    // "More like" shows the item itself first (score 1), then its neighbours.
    const ids = [...(similar ? [search.similarTo] : []), ...res.hits.map((h) => h.itemId)];
    const scores = [...(similar ? [1] : []), ...res.hits.map((h) => h.score)];
    useStore.getState().setResults({
      kind: similar ? 'similar' : 'text', label: label ?? ('text' in search ? `“${search.text}”` : `more like #${search.similarTo}`),
      ids, scores, method: res.method, search, minScore, more: res.more, exact, ...(res.indexJobId !== undefined && { indexJobId: res.indexJobId }), ...(res.indexRecall !== undefined && { indexRecall: res.indexRecall }),
      ...(res.index === 'not-needed' && res.scanMs !== undefined && { scanMs: res.scanMs }),
    });
  } catch (err) {
    useStore.getState().report(err);
  }
}

export function searchText(query: string, minScore?: number): Promise<void> {
  const q = query.trim();
  return q ? runSearch({ text: q }, minScore) : Promise.resolve();
}

export function moreLikeThis(itemId: number, key?: string): Promise<void> {
  return runSearch({ similarTo: itemId }, undefined, `more like ${key ?? `#${itemId}`}`);
}

/** The next page of hits, appended to the grid's results. */
export async function loadMoreResults(): Promise<void> {
  const results = useStore.getState().results;
  if (!results?.search || !results.more) return;
  const loaded = results.ids.length - ('similarTo' in results.search ? 1 : 0);
  try {
    const res = await page(results.search, loaded, results.minScore, results.exact ?? false);
    const now = useStore.getState().results;
    if (now !== results) return;
    useStore.setState({ results: { ...results, ids: [...results.ids, ...res.hits.map((h) => h.itemId)], scores: [...(results.scores ?? []), ...res.hits.map((h) => h.score)], more: res.more } });
    await useStore.getState().refreshCounts();
  } catch (err) {
    useStore.getState().report(err);
  }
}

export function showRegion(ids: number[]): void {
  useStore.getState().setRegion({ ids, label: `${ids.length.toLocaleString()} items picked on the map` });
}

// A filter changed under a search: the hits were for the old view, so search again inside the new one.
useStore.subscribe((s, prev) => {
  const search = s.results?.search;
  if (!search || !s.results) return;
  if (s.sourceFilter !== prev.sourceFilter || s.gridSelection !== prev.gridSelection || s.labelFilter !== prev.labelFilter || s.region !== prev.region) {
    void runSearch(search, s.results.minScore, s.results.label, s.results.exact);
  }
});
