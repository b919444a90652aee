// The grid's current view as one value (domain/views.ts ViewState): what a saved view stores and the URL carries.
import type { ViewStateT } from '../../../main/api/contract';
import { runSearch } from './similarity';
import { type GridSelection, useStore } from './store';

type Store = ReturnType<typeof useStore.getState>;

export function currentViewState(s: Store = useStore.getState()): ViewStateT {
  const r = s.results;
  return {
    ...(s.sourceFilter ? { sourceId: s.sourceFilter } : {}),
    ...(s.gridSelection ? { selection: s.gridSelection as ViewStateT['selection'] } : {}),
    ...(s.labelFilter ? { label: s.labelFilter } : {}),
    ...(s.region ? { region: { ids: s.region.ids, label: s.region.label } } : {}),
    ...(r?.search ? { search: { ...r.search, ...(r.minScore !== undefined && { minScore: r.minScore }) } } : {}),
  };
}

/** Opens a view in the grid: its filters, then its search inside them. */
export async function applyViewState(state: ViewStateT): Promise<void> {
  useStore.setState({
    sourceFilter: state.sourceId ?? null, gridSelection: (state.selection as GridSelection | undefined) ?? null, labelFilter: state.label ?? null,
    region: state.region ? { ids: state.region.ids, label: state.region.label ?? `${state.region.ids.length.toLocaleString()} items picked on the map` } : null,
    results: null, cursor: 0, openItem: null, view: 'grid',
  });
  if (state.search) {
    const { minScore, ...search } = state.search;
    await runSearch(search, minScore);
  } else {
    await useStore.getState().refresh();
  }
}
