// Curation methods → engine (stats job, signals, histograms, rule evaluation, selections, duplicates).
import { listGroups, setKeeper } from '../engine/curate/duplicates';
import { semanticCosine } from '../engine/curate/dup-similarity';
import type { Engine } from '../engine/engine';
import { evaluateRules } from '../engine/curate/evaluate';
import { signalHistogram } from '../engine/curate/histogram';
import { filtersPanel } from '../engine/curate/panel';
import { defaultRules } from '../engine/curate/rules';
import { filterPredicate, SelectionStore } from '../engine/curate/selection';
import { SignalStore } from '../engine/curate/signals';
import { STATS_JOB } from '../engine/curate/stats-job';
import type { Project } from '../engine/project';
import { ApiError } from './contract';
import type { HandlersFor } from './handlers';
import type { curationMethods, SelectionFilterT } from './methods/curation';

/** The SQL predicate items.page / items.count apply for a selection filter (undefined: no filter). */
export function selectionWhere(project: Project, selection: SelectionFilterT | undefined): string | null {
  return filterPredicate(project.db, selection);
}

export function curationHandlers(engine: Engine): HandlersFor<keyof typeof curationMethods> {
  const project = () => engine.requireProject();
  const selections = () => { const p = project(); return new SelectionStore(p.db, (name) => p.announce('selections.changed', { name })); };
  return {
    'curate.runStats': ({ force, k }) => ({ jobId: project().jobs.start(STATS_JOB, { force, k }).id }),
    'signals.list': () => new SignalStore(project().db).list(),
    'signals.forItem': ({ id }) => new SignalStore(project().db).forItem(id).map(({ name, value, runId, model, params }) => ({ name, value, runId, model, params })),
    'runs.list': ({ ids }) => (ids ? project().runs.many(ids) : project().runs.list()),
    'signals.histogram': ({ name, scale, bins, rules, excludeRule }) => signalHistogram(project().db, name, { scale, bins, rules, excludeRule }),
    'selection.defaults': () => defaultRules(),
    'selection.evaluate': ({ rules }) => evaluateRules(project().db, rules),
    'selection.panel': ({ rules }) => filtersPanel(project().db, rules),
    'selection.save': ({ name, rules }) => selections().save(name, rules),
    'selection.list': () => new SelectionStore(project().db).list(),
    'selection.get': ({ name }) => new SelectionStore(project().db).get(name),
    'selection.compare': ({ name }) => selections().compare(name),
    'selection.refresh': ({ name }) => selections().refresh(name),
    'selection.delete': ({ name }) => ({ deleted: selections().delete(name) }),
    'duplicates.groups': ({ kind, offset, limit }) => listGroups(project().db, kind, offset, limit, (runId) => semanticCosine(project(), runId)),
    'duplicates.setKeeper': ({ itemId }) => {
      const db = project().db;
      if (!project().items.get(itemId)) throw new ApiError('not_found', `no item ${itemId}`);
      const result = db.transaction(() => setKeeper(db, itemId))();
      project().announce('duplicates.changed', { jobId: null });
      return result;
    },
  };
}
