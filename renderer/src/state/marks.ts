// What each visible tile carries besides the item: removal reasons, the decision by hand and tags
// (items.marks), fetched once per loaded grid page. Reasons are judged against the grid's rule list
// when it has one, else the Filters view's rules, else the engine's defaults.
import { create } from 'zustand';
import type { RuleT } from '../../../main/api/methods/curation';
import type { ItemMarksT } from '../../../main/api/methods/decisions';
import type { ItemT } from '../../../main/api/contract';
import { api } from '../api/client';
import { useCuration } from './curation';
import { useStore } from './store';

interface MarksState {
  byId: Map<number, ItemMarksT>;
}

export const useMarks = create<MarksState>(() => ({ byId: new Map() }));

/** The rule list reasons are judged by: the grid's rules, the saved selection's, the Filters view's, or the defaults (undefined). */
export function reasonRules(): RuleT[] | undefined {
  const sel = useStore.getState().gridSelection;
  if (sel && 'rules' in sel) return sel.rules as RuleT[];
  const cur = useCuration.getState();
  return cur.loaded && cur.rules.length > 0 ? cur.rules : undefined;
}

const asked = new WeakSet<ItemT[]>();
let epoch = 0;

async function load(items: ItemT[]): Promise<void> {
  const mine = epoch;
  const ids = items.map((i) => i.id);
  const rules = reasonRules();
  const marks = await api.call('items.marks', { ids, ...(rules ? { rules } : {}) });
  if (mine !== epoch) return;
  useMarks.setState((s) => {
    const byId = new Map(s.byId);
    for (const m of marks) byId.set(m.id, m);
    return { byId };
  });
}

/** Marks for every page the grid has loaded and not asked about yet. */
function fetchMissing(): void {
  for (const items of useStore.getState().pages.values()) {
    if (asked.has(items) || items.length === 0) continue;
    asked.add(items);
    void load(items).catch((err) => useStore.getState().report(err));
  }
}

useStore.subscribe((s, prev) => {
  if (s.pages !== prev.pages) fetchMissing();
});

/** Decisions, tags or rules changed: drop what is known and ask again for the loaded pages. */
export function reloadMarks(): void {
  epoch++;
  useMarks.setState({ byId: new Map() });
  for (const items of useStore.getState().pages.values()) asked.delete(items);
  fetchMissing();
}
