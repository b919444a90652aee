// Search and map actions: they fill the grid's results mode (useStore.results).
import { api } from '../api/client';
import { useStore } from './store';

export const SEARCH_K = 100;

export async function searchText(query: string): Promise<void> {
  const q = query.trim();
  if (!q) return;
  try {
    const res = await api.call('search.text', { query: q, k: SEARCH_K });
    useStore.getState().setResults({ kind: 'text', label: `“${q}”`, ids: res.hits.map((h) => h.itemId), scores: res.hits.map((h) => h.score), method: res.method });
  } catch (err) {
    useStore.getState().report(err);
  }
}

export async function moreLikeThis(itemId: number, key?: string): Promise<void> {
  try {
    const res = await api.call('search.similar', { itemId, k: SEARCH_K });
    // The item itself first (score 1), then its neighbours.
    useStore.getState().setResults({
      kind: 'similar', label: `more like ${key ?? `#${itemId}`}`, ids: [itemId, ...res.hits.map((h) => h.itemId)], scores: [1, ...res.hits.map((h) => h.score)], method: res.method,
    });
  } catch (err) {
    useStore.getState().report(err);
  }
}

export function showRegion(ids: number[]): void {
  useStore.getState().setResults({ kind: 'map', label: 'items selected on the embedding map', ids, scores: null });
}
