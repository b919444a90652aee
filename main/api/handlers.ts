import type { Engine } from '../engine/engine';
import { visionHandlers } from './handlers-vision';
import { createModelHandlers } from './handlers-models';
import { modelSettingsHandlers } from './handlers-model-settings';
import { curationHandlers } from './handlers-curation';
import { labelHandlers } from './handlers-labels';
import { adaptHandlers } from './handlers-adapt';
import { similarityHandlers, withinWhere } from './handlers-similarity';
import { formatHandlers } from './handlers-formats';
import { detectionHandlers } from './handlers-detection';
import { scaleHandlers } from './handlers-scale';
import { projectHandlers } from './handlers-projects';
import { decisionHandlers } from './handlers-decisions';
import { filterCount } from '../engine/curate/selection';
import { viewHandlers } from './handlers-views';
import { ApiError, type MethodArgs, type MethodName, type MethodResult, isMethodName, methods } from './contract';

/** Handlers for a subset of the contract: each area (vision, curation, formats, models) supplies its own. */
export type HandlersFor<K extends MethodName> = { [M in K]: (args: MethodArgs<M>) => Promise<MethodResult<M>> | MethodResult<M> };
type Handlers = HandlersFor<MethodName>;

/** The contract mapped onto the engine: the only place that knows both. */
export function createHandlers(engine: Engine): Handlers {
  const project = () => engine.requireProject();
  return {
    'app.info': () => engine.info(),
    'project.create': async ({ dir, name }) => (await engine.createProject(dir, name)).info(),
    // A UI opens a project another process owns read-only (and takes it over once that process is done).
    'project.open': async ({ dir }) => (await engine.openProject(dir, { access: engine.mode === 'cli' ? 'owner' : 'owner-or-read-only' })).info(),
    'sources.list': () => project().sources.list(),
    'sources.add': ({ path, kind }) => engine.addSource(path, kind),
    'items.count': ({ sourceId, selection, label, region, tag }) => (selection && sourceId === undefined && !label && !region && !tag
      ? filterCount(project().db, selection)
      : project().items.count(sourceId, withinWhere(project(), { selection, label, region, tag }))),
    'items.page': ({ offset, limit, sourceId, selection, label, region, tag }) => project().items.page(offset, limit, sourceId, withinWhere(project(), { selection, label, region, tag })),
    'items.get': ({ id }) => {
      const item = project().items.get(id);
      if (!item) throw new ApiError('not_found', `no item ${id}`);
      return { ...item, issues: project().issues.forItem(id) };
    },
    'issues.list': ({ offset, limit, sourceId }) => ({ total: project().issues.count(sourceId), issues: project().issues.list(offset, limit, sourceId) }),
    'jobs.list': () => project().jobs.list(),
    'jobs.get': ({ id }) => project().jobs.get(id),
    'jobs.cancel': ({ id }) => project().jobs.cancel(id),
    'jobs.resume': ({ id }) => project().jobs.resume(id),
    ...visionHandlers(engine),
    ...createModelHandlers(engine),
    ...modelSettingsHandlers(engine),
    ...curationHandlers(engine),
    ...formatHandlers(engine),
    ...labelHandlers(engine),
    ...adaptHandlers(engine),
    ...similarityHandlers(engine),
    ...detectionHandlers(engine),
    ...viewHandlers(engine),
    ...scaleHandlers(engine),
    ...projectHandlers(engine),
    ...decisionHandlers(engine),
  };
}

export type Dispatch = (method: string, input: unknown) => Promise<unknown>;

/** Validates a call from any transport against the contract, then runs it. */
export function createDispatch(engine: Engine): Dispatch {
  const handlers = createHandlers(engine);
  return async (method, input) => {
    if (!isMethodName(method)) throw new ApiError('not_found', `unknown method ${method}`);
    const parsed = methods[method].input.safeParse(input ?? {});
    if (!parsed.success) {
      throw new ApiError('bad_input', `${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
    }
    const handler = handlers[method] as (args: unknown) => unknown;
    try {
      return await handler(parsed.data);
    } catch (err) {
      // A read-only project (another process owns it) refuses writes in SQLite itself: say who owns it.
      if ((err as { code?: string }).code === 'SQLITE_READONLY' && engine.project) throw new ApiError('conflict', engine.project.readOnlyReason());
      throw err;
    }
  };
}

export function errorPayload(err: unknown): { code: string; message: string } {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  return { code: 'internal', message: err instanceof Error ? err.message : String(err) };
}
