// Adaptation methods → main/engine/adapt.
import { ADAPT_JOB } from '../engine/adapt/adapt-job';
import { adaptReports } from '../engine/adapt/reports';
import { resolveAdaptParams } from '../engine/adapt/adapt-params';
import { distill } from '../engine/adapt/distill';
import { usefulQueue } from '../engine/adapt/queue';
import { regionThresholds } from '../engine/adapt/regions';
import type { Engine } from '../engine/engine';
import path from 'node:path';
import { readHeadFolder } from '../engine/adapt/distill';
import { ApiError } from '../domain/errors';
import type { HandlersFor } from './handlers';
import type { adaptMethods } from './methods/adapt';

/**
 * Starts an adaptation job (the API and the CLI start it the same way). `head` is a distilled head folder
 * or the id of one installed in the Models view; a head that reads another embedding model's vectors is
 * refused here, before any job starts.
 */
export async function startAdapt(engine: Engine, given: Parameters<typeof resolveAdaptParams>[1]): Promise<number> {
  const project = engine.requireProject();
  let head = given.head;
  if (head && !path.isAbsolute(head)) {
    const listing = (await engine.models.list()).find((m) => m.id === head);
    if (!listing?.path || listing.task !== 'classification-head') throw new ApiError('not_found', `no installed classification head '${head}' (add its folder in the Models view or with winnow models add DIR)`);
    head = listing.path;
  }
  const params = resolveAdaptParams(project.db, { ...given, ...(head && { head }) });
  if (params.head) {
    const { card } = readHeadFolder(params.head);
    if (card.embeddingModel !== params.model) {
      throw new ApiError('bad_input', `the head ${given.head} classifies ${card.embeddingModel} image embeddings (${card.dim}-d), but this project's labels use ${params.model}; embed the project with ${card.embeddingModel} or adapt a new head from your reviews`);
    }
  }
  return project.jobs.start(ADAPT_JOB, params).id;
}

export function adaptHandlers(engine: Engine): HandlersFor<keyof typeof adaptMethods> {
  return {
    'adapt.run': async (args) => ({ jobId: await startAdapt(engine, args) }),
    'adapt.reports': () => adaptReports(engine.requireProject()),
    'adapt.queue': ({ strategy, limit, model }) => usefulQueue(engine.requireProject(), strategy, limit, model),
    'adapt.distill': ({ out, job }) => distill(engine.requireProject(), out, job),
    'adapt.regions': () => regionThresholds(engine.requireProject().db),
  };
}
