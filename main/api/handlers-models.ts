import { stat } from 'node:fs/promises';
import type { Engine } from '../engine/engine';
import { installedSizes } from '../engine/vision/model-sizes';
import { readHeadFolder } from '../engine/adapt/distill';
import type { HeadSummaryT } from '../domain/model-report';
import { ApiError } from './contract';
import type { HandlersFor } from './handlers';
import type { modelMethods } from './methods/models';

type ModelHandlers = HandlersFor<keyof typeof modelMethods>;

/** The card of an installed distilled head (null when it cannot be read: validate says why). */
function headSummary(folder: string): HeadSummaryT | null {
  try {
    const { card } = readHeadFolder(folder);
    return { embeddingModel: card.embeddingModel, dim: card.dim, classes: card.classes, method: card.method, trainingSize: card.trainingSize, accuracy: card.accuracy, zeroShotAccuracy: card.zeroShotAccuracy };
  } catch {
    return null;
  }
}

/** ModelManager's plain errors, mapped to the API's stable codes. */
function apiError(err: unknown): never {
  if (err instanceof ApiError) throw err;
  const message = err instanceof Error ? err.message : String(err);
  if (/^unknown model|is not installed|has no dtype/.test(message)) throw new ApiError('not_found', message);
  if (/built.in|already installed|cannot derive/.test(message)) throw new ApiError('conflict', message);
  throw new ApiError('internal', message);
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    apiError(err);
  }
}

/** models.* mapped onto engine.models (list, import, validate, remove) and engine.modelJobs (pulls). */
export function createModelHandlers(engine: Engine): ModelHandlers {
  const runningPull = (id: string) => engine.modelJobs.pulling(id);
  return {
    'models.list': () =>
      guard(async () => {
        const listing = await engine.models.list();
        return Promise.all(
          listing.map(async (model) => {
            const entry = await engine.models.registryEntry(model.id);
            const sizes = model.path ? await installedSizes(model.path) : undefined;
            return {
              id: model.id,
              name: model.name,
              task: model.task,
              licence: model.licence ?? null,
              description: entry?.description ?? null,
              builtin: model.builtin,
              installed: model.installed,
              path: model.path ?? null,
              repo: model.repo ?? null,
              defaultDtype: entry && 'defaultDtype' in entry ? entry.defaultDtype : null,
              offered: model.offered,
              installedDtypes: model.installedDtypes.map((dtype) => ({ dtype, bytes: sizes?.byDtype.find((s) => s.dtype === dtype)?.bytes ?? 0 })),
              installedBytes: sizes?.totalBytes ?? null,
              pullJobId: runningPull(model.id)?.id ?? null,
              ...(model.task === 'classification-head' && model.path && { head: headSummary(model.path) }),
            };
          }),
        );
      }),
    'models.pull': ({ id, dtype }) =>
      guard(async () => {
        // Fail fast on an unknown id or dtype instead of starting a job that fails at once.
        await engine.models.plannedFiles(id, dtype);
        return engine.modelJobs.start(dtype ? { id, dtype } : { id });
      }),
    'models.jobs': () => engine.modelJobs.list(),
    'models.cancel': ({ jobId }) => engine.modelJobs.cancel(jobId),
    'models.import': ({ path, id }) =>
      guard(async () => {
        if (!(await stat(path).then((s) => s.isDirectory(), () => false))) throw new ApiError('not_found', `${path} is not a folder`);
        const result = await engine.models.import(path, { id });
        return { id: result.id, path: result.path, report: result.report };
      }),
    'models.validate': ({ id, dtype }) => guard(async () => engine.models.validate(await engine.models.resolve(id), { dtype })),
    'models.remove': ({ id }) =>
      guard(async () => {
        if (runningPull(id)) throw new ApiError('conflict', `model '${id}' is being pulled; cancel the pull first`);
        await engine.models.remove(id);
        return { id, removed: true as const };
      }),
  };
}
