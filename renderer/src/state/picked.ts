// The grid's multi-selection ("picked" items, apart from the keyboard cursor): sorted, disjoint index
// ranges over the current grid order, so Ctrl/Cmd-A on a million items is one range and a tile asks
// "am I picked?" with a binary search, never a scan. Any change of what the grid shows clears it.
import { create } from 'zustand';
import { api } from '../api/client';
import { itemFilter, useStore } from './store';

export type Range = readonly [number, number];

/** Sorted, merged ranges (inclusive ends). */
export function normalize(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter(([a, b]) => b >= a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function isPicked(ranges: readonly Range[], index: number): boolean {
  let lo = 0, hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = ranges[mid];
    if (index < a) hi = mid - 1;
    else if (index > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Ranges minus one index. */
function without(ranges: readonly Range[], index: number): Range[] {
  return ranges.flatMap(([a, b]): Range[] => {
    if (index < a || index > b) return [[a, b]];
    const parts: Range[] = [[a, index - 1], [index + 1, b]];
    return parts.filter(([x, y]) => y >= x);
  });
}

export const pickedCount = (ranges: readonly Range[]): number => ranges.reduce((n, [a, b]) => n + b - a + 1, 0);

interface PickState {
  ranges: Range[];
  /** Where a shift-click range starts (the last plain or Ctrl-click). */
  anchor: number | null;
  /** Ranges before the current shift-extension, so shift-click again re-extends from the anchor. */
  base: Range[];
  click(index: number, mods: { shift: boolean; toggle: boolean }): void;
  selectAll(): void;
  setRect(ranges: Range[], additive: boolean): void;
  clear(): void;
}

export const usePicked = create<PickState>((set, get) => ({
  ranges: [], anchor: null, base: [],

  click(index, { shift, toggle }) {
    const { anchor, base, ranges } = get();
    if (shift && anchor !== null) {
      const next = normalize([...base, [Math.min(anchor, index), Math.max(anchor, index)]]);
      set({ ranges: next });
    } else if (toggle) {
      const next = isPicked(ranges, index) ? without(ranges, index) : normalize([...ranges, [index, index]]);
      set({ ranges: next, anchor: index, base: next });
    } else {
      // A plain click moves the cursor and clears the selection (as in a file manager).
      set({ ranges: [], anchor: index, base: [] });
    }
    useStore.getState().setCursor(index);
  },

  selectAll() {
    const n = useStore.getState().itemCount;
    const next: Range[] = n > 0 ? [[0, n - 1]] : [];
    set({ ranges: next, base: next, anchor: 0 });
  },

  setRect(rect, additive) {
    const next = normalize(additive ? [...get().base, ...rect] : rect);
    set({ ranges: next });
  },

  clear() {
    set({ ranges: [], anchor: null, base: [] });
  },
}));

/** Commits a rectangle selection as the base for the next shift/ctrl click. */
export function commitRect(): void {
  usePicked.setState((s) => ({ base: s.ranges }));
}

// What the grid shows changed (filter, results, source, project): indices mean other items now.
useStore.subscribe((s, prev) => {
  if (s.gridSelection !== prev.gridSelection || s.results !== prev.results || s.sourceFilter !== prev.sourceFilter || s.labelFilter !== prev.labelFilter || s.tagFilter !== prev.tagFilter || s.info?.project?.dir !== prev.info?.project?.dir) {
    usePicked.getState().clear();
  }
});

/** The picked items' ids, in grid order (search/map results from the list in hand, otherwise one items.ids call per range). */
export async function pickedIds(): Promise<number[]> {
  const { ranges } = usePicked.getState();
  const s = useStore.getState();
  if (s.results) return ranges.flatMap(([a, b]) => s.results!.ids.slice(a, b + 1));
  const out: number[] = [];
  for (const [a, b] of ranges) {
    for (let offset = a; offset <= b; offset += 100_000) {
      out.push(...(await api.call('items.ids', { offset, limit: Math.min(100_000, b - offset + 1), ...itemFilter(s) })));
    }
  }
  return out;
}
