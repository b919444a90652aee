// Scale-out methods → engine: plan export (with the stages the project ran).
import type { Engine } from '../engine/engine';
import { exportPlan } from '../engine/scale/plan-export';
import { planStages } from '../engine/scale/plan-stages';
import { DEFAULT_MODEL } from '../engine/vision/active-model';
import { SEMANTIC_DEDUP_DEFAULTS } from '../domain/similarity-defaults';
import type { HandlersFor } from './handlers';
import type { scaleMethods } from './methods/scale';

export function scaleHandlers(engine: Engine): HandlersFor<keyof typeof scaleMethods> {
  return {
    'plan.export': async ({ model, dedup, stages, ...rest }) => exportPlan(engine.requireProject(), {
      ...rest, model: model ?? DEFAULT_MODEL,
      ...(stages !== false && { stages: await planStages(engine.requireProject(), engine.models) }),
      dedup: dedup && { threshold: dedup.threshold ?? SEMANTIC_DEDUP_DEFAULTS.cosineThreshold, method: dedup.method ?? 'graph', sample: dedup.sample ?? 100_000, clusters: dedup.clusters },
    }),
  };
}
