// Adaptation methods → main/engine/adapt.
import { ADAPT_JOB } from '../engine/adapt/adapt-job';
import { adaptReports } from '../engine/adapt/reports';
import { resolveAdaptParams } from '../engine/adapt/adapt-params';
import { distill } from '../engine/adapt/distill';
import { usefulQueue } from '../engine/adapt/queue';
import { regionThresholds } from '../engine/adapt/regions';
import type { Engine } from '../engine/engine';
import type { HandlersFor } from './handlers';
import type { adaptMethods } from './methods/adapt';

/** Starts an adaptation job (the API and the CLI start it the same way). */
export function startAdapt(engine: Engine, given: Parameters<typeof resolveAdaptParams>[1]): number {
  const project = engine.requireProject();
  return project.jobs.start(ADAPT_JOB, resolveAdaptParams(project.db, given)).id;
}

export function adaptHandlers(engine: Engine): HandlersFor<keyof typeof adaptMethods> {
  return {
    'adapt.run': (args) => ({ jobId: startAdapt(engine, args) }),
    'adapt.reports': () => adaptReports(engine.requireProject()),
    'adapt.queue': ({ strategy, limit, model }) => usefulQueue(engine.requireProject(), strategy, limit, model),
    'adapt.distill': ({ out, job }) => distill(engine.requireProject(), out, job),
    'adapt.regions': () => regionThresholds(engine.requireProject().db),
  };
}
