// The one typed contract between the engine and every front end (Electron IPC, HTTP/WS, CLI).
// Each method has an input and an output schema; every input is validated before it reaches the engine.
import { z } from 'zod';
import { Job } from '../domain/job';
import { AppInfo, Issue, Item, ProjectInfo, Source, SourceKind, type MediaKind } from '../domain/project';
import type { EventName, EventPayload } from '../domain/events';
import { visionMethods } from './methods/vision';
import { formatMethods } from './methods/formats';
import { modelMethods } from './methods/models';
import { modelSettingsMethods } from './methods/model-settings';
import { curationMethods, SelectionFilter } from './methods/curation';
import { labelMethods } from './methods/labels';
import { similarityMethods } from './methods/similarity';
import { detectionMethods } from './methods/detection';
import { adaptMethods } from './methods/adapt';
import { viewMethods } from './methods/views';
import { scaleMethods } from './methods/scale';
import { absolutePath, projectMethods } from './methods/projects';
import { decisionMethods, tagName } from './methods/decisions';

// The domain's shapes and error are part of the contract every front end imports.
export * from '../domain/project';
export { Job, JobState, type JobT } from '../domain/job';
export { events, type EventName, type EventPayload } from '../domain/events';
export { ApiError, ProjectOwnedError } from '../domain/errors';
export { SavedView, ViewState, describeView, type SavedViewT, type ViewStateT } from '../domain/views';

const empty = z.object({}).strict();
const absPath = absolutePath;
const id = z.number().int().positive();
/** Item ids picked on the embedding map: the grid shows only these (with the other filters). */
const region = z.array(id).min(1).max(200_000);

/**
 * The core methods: app, project, sources, items, issues, jobs. Areas add theirs from main/api/methods/. Each
 * method's schemas are made by a function, called on the method's first use (lazyMethods below).
 */
const coreMethods = {
  'app.info': () => ({ input: empty, output: AppInfo }),
  'project.create': () => ({ input: z.object({ dir: absPath, name: z.string().min(1).max(200).optional() }).strict(), output: ProjectInfo }),
  'project.open': () => ({ input: z.object({ dir: absPath }).strict(), output: ProjectInfo }),
  'sources.list': () => ({ input: empty, output: z.array(Source) }),
  'sources.add': () => ({
    input: z.object({ path: absPath, kind: SourceKind.optional() }).strict(),
    output: z.object({ source: Source, jobId: z.number().int() }),
  }),
  'items.count': () => ({ input: z.object({ sourceId: id.optional(), selection: SelectionFilter.optional(), label: z.string().min(1).max(200).optional(), region: region.optional(), tag: tagName.optional() }).strict(), output: z.number().int() }),
  'items.page': () => ({
    input: z.object({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(1000), sourceId: id.optional(), selection: SelectionFilter.optional(), label: z.string().min(1).max(200).optional(), region: region.optional(), tag: tagName.optional() }).strict(),
    output: z.array(Item),
  }),
  'items.get': () => ({ input: z.object({ id }).strict(), output: Item.extend({ issues: z.array(Issue) }) }),
  'issues.list': () => ({
    input: z.object({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(200), sourceId: id.optional() }).strict(),
    output: z.object({ total: z.number().int(), issues: z.array(Issue) }),
  }),
  'jobs.list': () => ({ input: empty, output: z.array(Job) }),
  'jobs.get': () => ({ input: z.object({ id }).strict(), output: Job }),
  'jobs.cancel': () => ({ input: z.object({ id }).strict(), output: Job }),
  'jobs.resume': () => ({ input: z.object({ id }).strict(), output: Job }),
} as const;

type Schemas = { input: z.ZodType; output: z.ZodType };

/**
 * A method table read like a plain one (methods[name].input) whose schemas are built on each method's first use:
 * building every method's zod schemas as the contract loaded cost each process start ~50–70 ms (measured on a
 * `winnow search`), most of it for methods a one-shot CLI command never calls.
 */
function lazyMethods<T extends Record<string, () => Schemas>>(table: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const out = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const [name, build] of Object.entries(table)) {
    let built: Schemas | undefined;
    Object.defineProperty(out, name, { enumerable: true, get: () => (built ??= build()) });
  }
  return out;
}

/** Every method: name → { input, output }. */
export const methods = lazyMethods({ ...coreMethods, ...modelMethods, ...modelSettingsMethods, ...visionMethods, ...curationMethods, ...labelMethods, ...similarityMethods, ...formatMethods, ...detectionMethods, ...adaptMethods, ...viewMethods, ...scaleMethods, ...projectMethods, ...decisionMethods });

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodArgs<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodResult<M extends MethodName> = z.output<Methods[M]['output']>;

/** What a renderer (or any client) sees, whatever the transport. */
export interface WinnowApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  mediaUrl(kind: MediaKind, itemId: number): string;
}

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

