import { create } from 'zustand';
import type { ModelInfoT, ModelJobT, ValidationReportT } from '../../../main/api/methods/models';
import { api } from '../api/client';
import { queryClient } from '../api/queries';
import { useStore } from './store';

interface ModelsState {
  models: ModelInfoT[];
  loaded: boolean;
  /** Pull jobs by model id (latest per model). */
  pulls: Record<string, ModelJobT>;
  reports: Record<string, ValidationReportT | 'running'>;
  load(): Promise<void>;
  pull(id: string, dtype?: string): Promise<void>;
  cancel(id: string): Promise<void>;
  validate(id: string): Promise<void>;
  remove(id: string): Promise<void>;
  importFolder(path: string, id?: string): Promise<boolean>;
  upsertJob(job: ModelJobT): void;
}

/** The model a pull installs (from the job's params, never parsed out of its title). */
function modelOf(job: ModelJobT): string | undefined {
  return job.model || undefined;
}

const report = (err: unknown) => useStore.getState().report(err);

export const useModels = create<ModelsState>((set, get) => ({
  models: [], loaded: false, pulls: {}, reports: {},

  async load() {
    try {
      const [models, jobs] = await Promise.all([api.call('models.list', {}), api.call('models.jobs', {})]);
      const pulls: Record<string, ModelJobT> = {};
      for (const job of [...jobs].reverse()) {
        const id = modelOf(job);
        if (id) pulls[id] = job;
      }
      // What is installed decides which models each task's select offers.
      void queryClient.invalidateQueries({ queryKey: ['models', 'choices'] });
      set((s) => ({ models, loaded: true, pulls: { ...pulls, ...Object.fromEntries(Object.entries(s.pulls).filter(([, j]) => !pulls[modelOf(j) ?? ''] || pulls[modelOf(j)!].id < j.id)) } }));
    } catch (err) {
      report(err);
    }
  },

  async pull(id, dtype) {
    try {
      get().upsertJob(await api.call('models.pull', dtype ? { id, dtype } : { id }));
    } catch (err) {
      report(err);
    }
  },

  async cancel(id) {
    const job = get().pulls[id];
    if (!job) return;
    try {
      get().upsertJob(await api.call('models.cancel', { jobId: job.id }));
    } catch (err) {
      report(err);
    }
  },

  async validate(id) {
    set((s) => ({ reports: { ...s.reports, [id]: 'running' } }));
    try {
      const result = await api.call('models.validate', { id });
      set((s) => ({ reports: { ...s.reports, [id]: result } }));
    } catch (err) {
      set((s) => ({ reports: Object.fromEntries(Object.entries(s.reports).filter(([key]) => key !== id)) }));
      report(err);
    }
  },

  async remove(id) {
    try {
      await api.call('models.remove', { id });
      set((s) => ({ reports: Object.fromEntries(Object.entries(s.reports).filter(([key]) => key !== id)) }));
      await get().load();
    } catch (err) {
      report(err);
    }
  },

  async importFolder(path, id) {
    try {
      const result = await api.call('models.import', id ? { path, id } : { path });
      set((s) => ({ reports: { ...s.reports, [result.id]: result.report } }));
      await get().load();
      return true;
    } catch (err) {
      report(err);
      return false;
    }
  },

  upsertJob(job) {
    const id = modelOf(job);
    if (!id) return;
    const previous = get().pulls[id];
    if (previous && previous.id > job.id) return;
    set((s) => ({ pulls: { ...s.pulls, [id]: job } }));
    // A finished pull changes what is installed.
    if (job.state !== 'running' && job.state !== 'queued' && previous?.state !== job.state) void get().load();
  },
}));
