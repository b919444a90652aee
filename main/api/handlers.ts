import type { Engine } from '../engine/engine';
import { withinWhere } from './handlers-similarity';
import { filterCount } from '../engine/curate/selection';
import { ApiError, type MethodArea, type MethodArgs, type MethodName, type MethodResult, isMethodName, methodAreas, methodSchemas } from './contract';

/** Handlers for a subset of the contract: each area (vision, curation, formats, models) supplies its own. */
export type HandlersFor<K extends MethodName> = { [M in K]: (args: MethodArgs<M>) => Promise<MethodResult<M>> | MethodResult<M> };
type Handlers = HandlersFor<MethodName>;
type AreaMethods<A extends MethodArea> = { [M in MethodName]: (typeof methodAreas)[M] extends A ? M : never }[MethodName];

/** The core methods mapped onto the engine. */
function coreHandlers(engine: Engine): HandlersFor<AreaMethods<'core'>> {
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
  };
}

/**
 * Each area's handlers, loaded on the first call of one of its methods: the handler modules reach most of the
 * engine (jobs, exports, detection, downloads), which a one-shot CLI command calling one or two methods never needs.
 */
const areaHandlers: { [A in MethodArea]: (engine: Engine) => Promise<HandlersFor<AreaMethods<A>>> } = {
  core: async (engine) => coreHandlers(engine),
  models: async (engine) => (await import('./handlers-models')).createModelHandlers(engine),
  modelSettings: async (engine) => (await import('./handlers-model-settings')).modelSettingsHandlers(engine),
  vision: async (engine) => (await import('./handlers-vision')).visionHandlers(engine),
  curation: async (engine) => (await import('./handlers-curation')).curationHandlers(engine),
  labels: async (engine) => (await import('./handlers-labels')).labelHandlers(engine),
  similarity: async (engine) => (await import('./handlers-similarity')).similarityHandlers(engine),
  formats: async (engine) => (await import('./handlers-formats')).formatHandlers(engine),
  detection: async (engine) => (await import('./handlers-detection')).detectionHandlers(engine),
  adapt: async (engine) => (await import('./handlers-adapt')).adaptHandlers(engine),
  views: async (engine) => (await import('./handlers-views')).viewHandlers(engine),
  scale: async (engine) => (await import('./handlers-scale')).scaleHandlers(engine),
  projects: async (engine) => (await import('./handlers-projects')).projectHandlers(engine),
  decisions: async (engine) => (await import('./handlers-decisions')).decisionHandlers(engine),
};

/** The contract mapped onto the engine, one area at a time as calls reach it: the only place that knows both. */
function createHandlers(engine: Engine): <M extends MethodName>(method: M) => Promise<Handlers[M]> {
  const loaded = new Map<MethodArea, Promise<Record<string, unknown>>>();
  return async (method) => {
    const area = methodAreas[method];
    let handlers = loaded.get(area);
    if (!handlers) {
      handlers = areaHandlers[area](engine) as Promise<Record<string, unknown>>;
      loaded.set(area, handlers);
    }
    return (await handlers)[method] as Handlers[typeof method];
  };
}

export type Dispatch = (method: string, input: unknown) => Promise<unknown>;

/** Validates a call from any transport against the contract, then runs it. */
export function createDispatch(engine: Engine): Dispatch {
  const handlerOf = createHandlers(engine);
  return async (method, input) => {
    if (!isMethodName(method)) throw new ApiError('not_found', `unknown method ${method}`);
    const parsed = (await methodSchemas(method)).input.safeParse(input ?? {});
    if (!parsed.success) {
      throw new ApiError('bad_input', `${method}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
    }
    const handler = (await handlerOf(method)) as (args: unknown) => unknown;
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
