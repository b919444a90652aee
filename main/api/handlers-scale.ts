// Scale-out methods → engine: plan export (with the stages the project ran).
import type { Engine } from '../engine/engine';
import { adoptGroups } from '../engine/scale/adopt-groups';
import { exportPlan, writePlanFile } from '../engine/scale/plan-export';
import { planStages } from '../engine/scale/plan-stages';
import { DEFAULT_MODEL } from '../engine/vision/active-model';
import { SEMANTIC_DEDUP_DEFAULTS } from '../domain/similarity-defaults';
import type { HandlersFor } from './handlers';
import type { scaleMethods } from './methods/scale';

export function scaleHandlers(engine: Engine): HandlersFor<keyof typeof scaleMethods> {
  return {
    'plan.export': async ({ model, dedup, stages, out, ...rest }) => {
      const plan = exportPlan(engine.requireProject(), {
        ...rest, model: model ?? DEFAULT_MODEL,
        ...(stages !== false && { stages: await planStages(engine.requireProject(), engine.models) }),
        dedup: dedup && { threshold: dedup.threshold ?? SEMANTIC_DEDUP_DEFAULTS.cosineThreshold, method: dedup.method ?? 'graph', sample: dedup.sample ?? 100_000, clusters: dedup.clusters },
      });
      if (out) await writePlanFile(out, plan);
      return plan;
    },
    'duplicates.adopt': ({ sourceId, kinds, groups }) => {
      const project = engine.requireProject();
      const result = adoptGroups(project.db, sourceId, kinds, groups);
      project.announce('duplicates.changed', { jobId: null });
      return result;
    },
  };
}
