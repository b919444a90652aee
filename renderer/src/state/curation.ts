// State of the Filters view: the rule list being edited, its evaluation, one histogram per numeric
// rule, and saved selections. Threshold drags update `rules` locally (counts come from histograms);
// `commit` re-evaluates on the engine and refetches the histograms the change affects.
import { create } from 'zustand';
import type { EvaluationT, HistogramT, RuleT, SelectionT, SignalSummaryT } from '../../../main/api/methods/curation';
import { api } from '../api/client';
import { useStore } from './store';

interface CurationState {
  loaded: boolean;
  rules: RuleT[];
  evaluation: EvaluationT | null;
  /** By rule id; conditioned on the other enabled rules. */
  histograms: Record<string, HistogramT>;
  signals: SignalSummaryT[];
  saved: SelectionT[];
  /** Name of the selection being edited (empty: unsaved). */
  name: string;
  busy: boolean;

  load(reset?: boolean): Promise<void>;
  setRule(id: string, patch: Partial<RuleT>): void;
  commit(): Promise<void>;
  addSignalRule(signal: string): void;
  removeRule(id: string): void;
  save(name: string): Promise<void>;
  open(selection: SelectionT): Promise<void>;
  deleteSaved(name: string): Promise<void>;
  setName(name: string): void;
}

/** Rules that have a numeric threshold (and so a histogram with a handle). */
export const isThresholdRule = (r: RuleT): boolean => r.signal !== undefined && r.op !== undefined && r.kind !== 'exact_dup' && r.kind !== 'near_dup' && r.kind !== 'semantic_dup';

let seq = 0;

export const useCuration = create<CurationState>((set, get) => ({
  loaded: false, rules: [], evaluation: null, histograms: {}, signals: [], saved: [], name: '', busy: false,

  async load(reset = false) {
    try {
      const [signals, saved] = await Promise.all([api.call('signals.list', {}), api.call('selection.list', {})]);
      const rules = reset || get().rules.length === 0 ? await api.call('selection.defaults', {}) : get().rules;
      set({ signals, saved, rules, loaded: true });
      await get().commit();
    } catch (err) {
      set({ busy: false });
      useStore.getState().report(err);
    }
  },

  setRule(id, patch) {
    set((s) => ({ rules: s.rules.map((r) => (r.id === id ? { ...r, ...patch } : r)) }));
  },

  async commit() {
    const mine = ++seq;
    const rules = get().rules;
    set({ busy: true });
    try {
      // One call: the engine builds the removed-by masks once for the counts and every histogram.
      const { evaluation, histograms } = await api.call('selection.panel', { rules });
      if (mine !== seq) return;
      set({ evaluation, histograms });
    } catch (err) {
      useStore.getState().report(err);
    } finally {
      if (mine === seq) set({ busy: false });
    }
  },

  addSignalRule(signal) {
    const summary = get().signals.find((s) => s.name === signal);
    let n = 1;
    while (get().rules.some((r) => r.id === `signal-${n}`)) n++;
    const id = `signal-${n}`;
    const threshold = summary ? (summary.min + summary.max) / 2 : 0;
    set((s) => ({ rules: [...s.rules, { id, kind: 'signal', enabled: true, signal, op: '>=', threshold, label: signal }] }));
    void get().commit();
    // A pair score starts at the threshold calibrated for the model that made it (or the project's override).
    if (summary?.model && signal.startsWith('clip.pair')) {
      void api.call('models.calibration', { model: summary.model }).then((cal) => {
        const t = cal.entries.find((e) => e.key === 'pairThreshold')?.value;
        if (typeof t !== 'number' || get().rules.find((r) => r.id === id)?.threshold !== threshold) return;
        get().setRule(id, { threshold: t });
        void get().commit();
      }, () => undefined);
    }
  },

  removeRule(id) {
    set((s) => ({ rules: s.rules.filter((r) => r.id !== id) }));
    void get().commit();
  },

  async save(name) {
    try {
      const saved = await api.call('selection.save', { name, rules: get().rules });
      set({ name: saved.name, saved: await api.call('selection.list', {}) });
    } catch (err) {
      useStore.getState().report(err);
    }
  },

  async open(selection) {
    set({ rules: selection.rules, name: selection.name });
    await get().commit();
  },

  async deleteSaved(name) {
    try {
      await api.call('selection.delete', { name });
      set({ saved: await api.call('selection.list', {}), ...(get().name === name ? { name: '' } : {}) });
    } catch (err) {
      useStore.getState().report(err);
    }
  },

  setName(name) {
    set({ name });
  },
}));
