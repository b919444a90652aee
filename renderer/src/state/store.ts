import { create } from 'zustand';
import type { AppInfoT, ItemT, MethodInput, SourceT } from '../../../main/api/contract';
import { api } from '../api/client';
import { keys, queryClient } from '../api/queries';

export const PAGE_SIZE = 200;
export type View = 'grid' | 'issues' | 'models' | 'filters' | 'duplicates' | 'labels' | 'map' | 'review';
/** Results mode: the grid shows these items in this order (search hits by score inside the current view). */
export interface GridResults {
  kind: 'text' | 'similar' | 'map'; label: string; ids: number[]; scores: number[] | null; method?: 'index' | 'exact';
  /** The person asked for an exact scan where the ANN index would answer. */
  exact?: boolean;
  /** The search index job a slow exact search started (or found running). */
  indexJobId?: number;
  /** The index's measured recall@10 vs exact (when it is current and measured). */
  indexRecall?: number;
  /** No graph index is needed: the int8 copy's exact search, timed on this machine, takes this many ms per query. */
  scanMs?: number;
  /** What was searched (text or an item), with its cutoff, so the search can page on and be saved as a view. */
  search?: { text: string } | { similarTo: number };
  minScore?: number;
  /** Hits exist past the loaded ones. */
  more?: boolean;
}
/** Items picked on the embedding map: a filter that combines with the others. */
export interface GridRegion { ids: number[]; label: string }
/** A rule list or saved selection the grid is filtered by (set from the Filters view). */
export type GridSelection = NonNullable<MethodInput<'items.count'>['selection']>;

interface State {
  info: AppInfoT | null;
  error: string | null;
  connected: boolean;
  sources: SourceT[];
  sourceFilter: number | null;
  gridSelection: GridSelection | null;
  /** A zero-shot label the grid is filtered by (set from the Labels view); combines with the other filters. */
  labelFilter: string | null;
  /** A map region the grid is filtered by (lasso or rectangle on the embedding map). */
  region: GridRegion | null;
  /** A tag the grid is filtered by (set from the tag bar); combines with the other filters. */
  tagFilter: string | null;
  /** Search / map results shown instead of the filtered item list (null: all items). */
  results: GridResults | null;
  view: View;
  itemCount: number;
  /** Item pages by page index; a new generation invalidates stale responses. */
  pages: Map<number, ItemT[]>;
  generation: number;
  cursor: number;
  openItem: number | null;
  /** First item index in view (the grid reports it); kept in the URL so a reload scrolls back. */
  topIndex: number;
  /** A scroll position to restore once the grid has its items (from the URL), then null. */
  restoreTop: number | null;

  boot(): Promise<void>;
  refresh(): Promise<void>;
  /** Items were appended (an import is running): update counts, reload only the pages that can have changed. */
  refreshCounts(): Promise<void>;
  loadPage(page: number): Promise<void>;
  setSourceFilter(id: number | null): void;
  setGridSelection(selection: GridSelection | null): void;
  setLabelFilter(label: string | null): void;
  setTagFilter(tag: string | null): void;
  setResults(results: GridResults | null): void;
  setRegion(region: GridRegion | null): void;
  setView(view: View): void;
  setCursor(index: number): void;
  openAt(index: number | null): Promise<void>;
  report(err: unknown): void;
}

const loading = new Set<string>();
// Counts come back in any order (a toggle clicked twice fires two): only the latest request's count is kept.
let countSeq = 0;

export const useStore = create<State>((set, get) => ({
  info: null, error: null, connected: true, sources: [], sourceFilter: null, gridSelection: null, labelFilter: null, tagFilter: null, region: null, results: null, view: 'grid', itemCount: 0,
  pages: new Map(), generation: 0, cursor: 0, openItem: null, topIndex: 0, restoreTop: null,

  async boot() {
    try {
      const info = await api.call('app.info', {});
      set({ info });
      if (info.project) await get().refresh();
    } catch (err) {
      get().report(err);
    }
  },

  async refresh() {
    const seq = ++countSeq;
    try {
      // A call may have started a job (an import): the job list is a query, refetched and merged by recency.
      void queryClient.invalidateQueries({ queryKey: keys.jobs });
      // Back on the welcome screen (the project was closed): nothing else to read.
      const now = await api.call('app.info', {});
      if (!now.project) return set({ info: now, sources: [], itemCount: 0, pages: new Map(), openItem: null });
      const [info, sources, itemCount] = await Promise.all([
        api.call('app.info', {}), api.call('sources.list', {}),
        resultCount(get()) ?? api.call('items.count', itemFilter(get())),
      ]);
      loading.clear();
      set((s) => ({ info, sources, ...(seq === countSeq && { itemCount }), pages: new Map(), generation: s.generation + 1 }));
    } catch (err) {
      get().report(err);
    }
  },

  async refreshCounts() {
    const seq = ++countSeq;
    try {
      const [sources, itemCount, info] = await Promise.all([
        api.call('sources.list', {}), resultCount(get()) ?? api.call('items.count', itemFilter(get())), api.call('app.info', {}),
      ]);
      set((s) => {
        const firstStale = Math.floor(s.itemCount / PAGE_SIZE);
        const pages = new Map([...s.pages].filter(([p]) => p < firstStale));
        return { sources, info, pages, ...(seq === countSeq && { itemCount }) };
      });
    } catch (err) {
      get().report(err);
    }
  },

  async loadPage(page) {
    const { generation, sourceFilter, pages } = get();
    const key = `${generation}:${page}`;
    if (pages.has(page) || loading.has(key)) return;
    loading.add(key);
    try {
      const results = get().results;
      const items = results ? await api.call('search.items', { ids: results.ids.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE) }) : await api.call('items.page', { offset: page * PAGE_SIZE, limit: PAGE_SIZE, ...itemFilter({ ...get(), sourceFilter }) });
      if (get().generation !== generation) return;
      set((s) => ({ pages: new Map(s.pages).set(page, items) }));
    } catch (err) {
      get().report(err);
    } finally {
      loading.delete(key);
    }
  },

  setGridSelection(selection) {
    set({ gridSelection: selection, cursor: 0, openItem: null, view: 'grid' });
    void get().refresh();
  },

  setLabelFilter(label) {
    set({ labelFilter: label, cursor: 0, openItem: null, view: 'grid' });
    void get().refresh();
  },

  setTagFilter(tag) {
    set({ tagFilter: tag, cursor: 0, openItem: null, view: 'grid' });
    void get().refresh();
  },

  setResults(results) {
    // Search runs inside the current view: its filters stay (the search bar shows them and clears each).
    set({ results, cursor: 0, openItem: null, view: 'grid' });
    void get().refresh();
  },

  setRegion(region) {
    set({ region, cursor: 0, openItem: null, view: 'grid' });
    void get().refresh();
  },

  setSourceFilter(id) {
    set({ sourceFilter: id, gridSelection: null, labelFilter: null, tagFilter: null, region: null, results: null, cursor: 0, openItem: null, view: 'grid' });
    void get().refresh();
  },

  setView(view) {
    set({ view, openItem: null });
  },

  setCursor(index) {
    const max = Math.max(0, get().itemCount - 1);
    set({ cursor: Math.max(0, Math.min(max, index)) });
  },

  async openAt(index) {
    if (index === null) return set({ openItem: null });
    get().setCursor(index);
    const cursor = get().cursor;
    await get().loadPage(Math.floor(cursor / PAGE_SIZE));
    const item = itemAt(get(), cursor);
    if (item) set({ openItem: item.id });
  },

  report(err) {
    set({ error: err instanceof Error ? err.message : String(err) });
  },
}));

export function itemAt(state: Pick<State, 'pages'>, index: number): ItemT | undefined {
  return state.pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
}

/** Results mode: the count is the result list's length (no call needed). */
function resultCount(s: Pick<State, 'results'>): Promise<number> | null {
  return s.results ? Promise.resolve(s.results.ids.length) : null;
}

/** items.count / items.page arguments (and a search's `within`) for the grid's source, selection, label, tag and region filters. */
export function itemFilter(s: Pick<State, 'sourceFilter' | 'gridSelection' | 'labelFilter' | 'tagFilter' | 'region'>): { sourceId?: number; selection?: GridSelection; label?: string; tag?: string; region?: number[] } {
  return { ...(s.sourceFilter ? { sourceId: s.sourceFilter } : {}), ...(s.gridSelection ? { selection: s.gridSelection } : {}), ...(s.labelFilter ? { label: s.labelFilter } : {}), ...(s.tagFilter ? { tag: s.tagFilter } : {}), ...(s.region ? { region: s.region.ids } : {}) };
}
