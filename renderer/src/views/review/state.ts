// Review view state: the queue (a snapshot of item ids, most uncertain first), the current item and
// its annotations, the selected annotation, display options. Every edit goes to the engine at once.
import { create } from 'zustand';
import type { ReviewAnnotationT } from '../../../../main/api/methods/detection';
import { api } from '../../api/client';
import { useStore } from '../../state/store';
import type { QueueOrder } from '../adapt/UsefulOrder';

export type Ann = ReviewAnnotationT;
type Box = [number, number, number, number];

interface ReviewState {
  queue: number[];
  index: number;
  progress: { reviewed: number; total: number };
  labels: string[];
  /** Image-label classes and detection queries apart, each numbered in its newest run's order (keys 1–9 relabel within the selected annotation's list). */
  classes: { labels: string[]; queries: string[] };
  /** Proposals under this score stay out of the queue (null: the engine's default); how many it hides. */
  minScore: number | null;
  belowFloor: number;
  /** Per-class view: only items with annotations of this class (null = every class). */
  classFilter: string | null;
  /**
   * The queue index a jump target names: a position ("12", 1-based) or an item id ("#34"); null when nothing matches.
   * Synchronous, so the jump field can say "no such item" (or clear itself) at Enter, before the item loads.
   */
  jumpIndex(target: string): number | null;
  item: { itemId: number; width: number | null; height: number | null; annotations: Ann[] } | null;
  selected: number | null;
  hidden: string[];
  opacity: number;
  drawing: boolean;
  /** Which kinds the queue holds (null = all). */
  kinds: ('box' | 'mask' | 'label')[] | null;
  /** Items most useful to the adapted classifier first (adapt.queue), or null for most uncertain first. */
  order: QueueOrder;
  /** Mask brush: paint ('add') or erase the selected mask; null = off. */
  brush: 'add' | 'erase' | null;
  /** Brush radius in screen pixels ([ and ] change it). */
  brushSize: number;
  /** A Segment Anything refine is running for this annotation. */
  refining: number | null;
  /** The selected box → a SAM mask (needs an installed Segment Anything model). */
  refine(): Promise<void>;
  setMask(id: number, rle: { size: [number, number]; counts: number[] }): Promise<void>;
  canUndo: boolean;
  canRedo: boolean;
  load(): Promise<void>;
  go(index: number): Promise<void>;
  reloadItem(): Promise<void>;
  select(delta: number): void;
  decide(state: 'accepted' | 'rejected'): Promise<void>;
  relabel(label: string): Promise<void>;
  setBox(id: number, box: Box, nudge?: boolean): Promise<void>;
  addBox(box: Box): Promise<void>;
  remove(): Promise<void>;
  undo(redo?: boolean): Promise<void>;
  acceptAbove(threshold: number): Promise<number>;
  toggle(label: string): void;
  set(p: Partial<ReviewState>): void;
}

const report = (err: unknown) => useStore.getState().report(err);

let boxCalls: Promise<void> = Promise.resolve();

/** The item's annotations the queue holds: its kinds, its class (per-class view), and no proposal under the score floor. */
const inQueue = <T extends { annotations: Ann[] }>(item: T, s: Pick<ReviewState, 'kinds' | 'minScore' | 'classFilter'>): T => ({
  ...item,
  annotations: item.annotations.filter((a) => (!s.kinds || s.kinds.includes(a.kind)) && (!s.classFilter || a.label === s.classFilter)
    && !(a.state === 'proposed' && s.minScore !== null && a.score !== null && a.score < s.minScore)),
});

/** The list (label classes or detection queries) an annotation's class belongs to, and its number there. */
export function classSlot(classes: { labels: string[]; queries: string[] }, a: Pick<Ann, 'kind' | 'label'>): { list: string[]; index: number } {
  const list = a.kind === 'label' ? classes.labels : classes.queries;
  return { list, index: list.indexOf(a.label) };
}

export const useReview = create<ReviewState>((set, get) => {
  const filter = () => {
    const { kinds, minScore, classFilter } = get();
    const f = { ...(kinds && { kinds }), ...(minScore !== null && { minScore }), ...(classFilter && { label: classFilter }) };
    return Object.keys(f).length ? { filter: f } : {};
  };
  const takeQueueInfo = (q: { classes: { labels: string[]; queries: string[] }; minScore: number; belowFloor: number }) =>
    set({ classes: q.classes, minScore: q.minScore, belowFloor: q.belowFloor });
  const refreshProgress = async () => {
    const q = await api.call('review.queue', { limit: 1, ...filter() });
    set({ progress: q.progress, labels: [...new Set([...get().labels, ...q.labels])].sort(), canUndo: q.canUndo, canRedo: q.canRedo });
    takeQueueInfo(q);
  };
  const applyEdited = (r: { annotations: Ann[]; canUndo: boolean; canRedo: boolean }) => {
    const item = get().item;
    if (item) set({ item: { ...item, annotations: item.annotations.map((a) => r.annotations.find((b) => b.id === a.id) ?? a) } });
    set({ canUndo: r.canUndo, canRedo: r.canRedo });
  };
  const selectedAnn = () => get().item?.annotations.find((a) => a.id === get().selected) ?? null;
  return {
    queue: [], index: 0, progress: { reviewed: 0, total: 0 }, labels: [], classes: { labels: [], queries: [] }, minScore: null, belowFloor: 0, classFilter: null, item: null, selected: null, hidden: [], opacity: 0.45, drawing: false, brush: null, brushSize: 10, refining: null, kinds: null, order: null, canUndo: false, canRedo: false,
    async load() {
      try {
        // The queue is a snapshot of item ids (ints, cheap even for 100k items), read in pages of 10k.
        const page = 10_000;
        const ids: number[] = [];
        let q = await api.call('review.queue', { limit: page, ...filter() });
        ids.push(...q.items.map((i) => i.itemId));
        while (q.items.length === page) {
          q = await api.call('review.queue', { offset: ids.length, limit: page, ...filter() });
          ids.push(...q.items.map((i) => i.itemId));
        }
        const order = get().order;
        const useful = order ? (await api.call('adapt.queue', { strategy: order, limit: 1000 })).map((u) => u.itemId) : [];
        const pending = new Set(ids);
        const queue = [...new Set([...useful.filter((id) => pending.has(id)), ...ids])];
        set({ queue, progress: q.progress, labels: q.labels, canUndo: q.canUndo, canRedo: q.canRedo });
        takeQueueInfo(q);
        await get().go(Math.min(get().index, Math.max(0, queue.length - 1)));
      } catch (err) { report(err); }
    },
    async go(index) {
      const { queue } = get();
      if (queue.length === 0) { set({ item: null, selected: null, index: 0 }); return; }
      const i = Math.max(0, Math.min(queue.length - 1, index));
      try {
        const item = inQueue(await api.call('review.item', { itemId: queue[i] }), get());
        const first = item.annotations.find((a) => a.state === 'proposed') ?? item.annotations[0];
        set({ index: i, item, selected: first?.id ?? null, drawing: false });
      } catch (err) { report(err); }
    },
    jumpIndex(target) {
      const t = target.trim();
      const byId = /^(#|id\s*:?\s*)(\d+)$/i.exec(t);
      const at = byId ? get().queue.indexOf(Number(byId[2])) : /^\d+$/.test(t) ? Number(t) - 1 : -1;
      return at < 0 || at >= get().queue.length ? null : at;
    },
    async reloadItem() {
      const cur = get().item;
      if (!cur) return;
      const item = inQueue(await api.call('review.item', { itemId: cur.itemId }), get());
      set({ item, selected: item.annotations.some((a) => a.id === get().selected) ? get().selected : item.annotations[0]?.id ?? null });
    },
    select(delta) {
      const anns = get().item?.annotations ?? [];
      if (!anns.length) return;
      const at = anns.findIndex((a) => a.id === get().selected);
      set({ selected: anns[(at + delta + anns.length) % anns.length].id });
    },
    async decide(state) {
      const a = selectedAnn();
      if (!a) return;
      try {
        applyEdited(await api.call('review.decide', { ids: [a.id], state }));
        // Advance to the next annotation still pending in this item.
        const anns = get().item!.annotations;
        const at = anns.findIndex((x) => x.id === a.id);
        const next = [...anns.slice(at + 1), ...anns.slice(0, at)].find((x) => x.state === 'proposed');
        if (next) set({ selected: next.id });
        await refreshProgress();
      } catch (err) { report(err); }
    },
    async relabel(label) {
      const a = selectedAnn();
      if (!a || a.label === label) return;
      try {
        applyEdited(await api.call('review.relabel', { id: a.id, label }));
        await refreshProgress();
      } catch (err) { report(err); }
    },
    async setBox(id, box, nudge = false) {
      // Optimistic: the next key press (a burst of arrow keys) builds on this box; calls stay in order.
      const item = get().item;
      if (item) set({ item: { ...item, annotations: item.annotations.map((a) => (a.id === id ? { ...a, bbox: box, state: 'edited' } : a)) } });
      const send = async () => {
        try {
          // Only the flags: the local box may already be newer than this reply.
          const r = await api.call('review.setBox', { id, bbox: box, ...(nudge && { nudge }) });
          set({ canUndo: r.canUndo, canRedo: r.canRedo });
          await refreshProgress();
        } catch (err) { report(err); }
      };
      boxCalls = boxCalls.then(send, send);
      await boxCalls;
    },
    async refine() {
      const a = selectedAnn();
      if (!a || a.kind === 'label' || !a.bbox || get().refining !== null) return;
      set({ refining: a.id });
      try {
        applyEdited(await api.call('review.refine', { id: a.id }));
        await refreshProgress();
      } catch (err) { report(err); } finally { set({ refining: null }); }
    },
    async setMask(id, rle) {
      try {
        applyEdited(await api.call('review.setMask', { id, rle }));
        await refreshProgress();
      } catch (err) { report(err); }
    },
    async addBox(box) {
      const item = get().item;
      if (!item) return;
      const label = selectedAnn()?.label ?? get().classes.queries[0] ?? get().labels[0] ?? 'object';
      try {
        const r = await api.call('review.add', { itemId: item.itemId, label, bbox: box });
        set({ item: { ...item, annotations: [...item.annotations, ...r.annotations] }, selected: r.annotations[0]?.id ?? null, drawing: false, canUndo: r.canUndo, canRedo: r.canRedo });
        await refreshProgress();
      } catch (err) { report(err); }
    },
    async remove() {
      const a = selectedAnn();
      if (!a) return;
      try {
        await api.call('review.delete', { id: a.id });
        await get().reloadItem();
        await refreshProgress();
      } catch (err) { report(err); }
    },
    async undo(redo = false) {
      try {
        const step = await api.call(redo ? 'review.redo' : 'review.undo', {});
        set({ canUndo: step.canUndo, canRedo: step.canRedo });
        const cur = get().item;
        // Show the item the step touched (it may be another one than the current).
        const target = step.itemIds.find((id) => id !== cur?.itemId);
        if (target !== undefined && !step.itemIds.includes(cur?.itemId ?? -1)) {
          const at = get().queue.indexOf(target);
          if (at >= 0) await get().go(at);
        } else await get().reloadItem();
        await refreshProgress();
      } catch (err) { report(err); }
    },
    async acceptAbove(threshold) {
      try {
        const r = await api.call('review.acceptAbove', { threshold, ...filter() });
        await get().reloadItem();
        await refreshProgress();
        return r.count;
      } catch (err) { report(err); return 0; }
    },
    toggle(label) {
      const hidden = get().hidden;
      set({ hidden: hidden.includes(label) ? hidden.filter((l) => l !== label) : [...hidden, label] });
    },
    set: (p) => set(p),
  };
});
