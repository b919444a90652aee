// The one typed contract between the engine and every front end (Electron IPC, HTTP/WS, CLI).
// Each method has an input and an output schema; every input is validated before it reaches the engine.
import { z } from 'zod';
import { Job } from '../domain/job';
import { AppInfo, Issue, Item, ProjectInfo, Source, SourceKind, type MediaKind } from '../domain/project';
import type { EventName, EventPayload } from '../domain/events';
import type { visionMethods } from './methods/vision';
import type { formatMethods } from './methods/formats';
import type { modelMethods } from './methods/models';
import type { modelSettingsMethods } from './methods/model-settings';
import { type curationMethods, SelectionFilter } from './methods/curation';
import type { labelMethods } from './methods/labels';
import type { similarityMethods } from './methods/similarity';
import type { detectionMethods } from './methods/detection';
import type { adaptMethods } from './methods/adapt';
import type { viewMethods } from './methods/views';
import type { scaleMethods } from './methods/scale';
import { absolutePath, type projectMethods } from './methods/projects';
import { type decisionMethods, tagName } from './methods/decisions';

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
 * method's schemas are made by a function, called on the method's first use (methodSchemas below).
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
 * Each area's method table, loaded on the first call of one of its methods. An area's module builds its shared
 * schemas as it loads, and each method's own on the method's first call: building every method's zod schemas
 * (and loading every area's handlers, see handlers.ts) as the contract loaded cost each process start ~0.1 CPU-s
 * (measured on a `winnow search`), nearly all of it for methods a one-shot CLI command never calls.
 */
const areaTables = {
  core: () => Promise.resolve(coreMethods),
  models: () => import('./methods/models').then((m) => m.modelMethods),
  modelSettings: () => import('./methods/model-settings').then((m) => m.modelSettingsMethods),
  vision: () => import('./methods/vision').then((m) => m.visionMethods),
  curation: () => import('./methods/curation').then((m) => m.curationMethods),
  labels: () => import('./methods/labels').then((m) => m.labelMethods),
  similarity: () => import('./methods/similarity').then((m) => m.similarityMethods),
  formats: () => import('./methods/formats').then((m) => m.formatMethods),
  detection: () => import('./methods/detection').then((m) => m.detectionMethods),
  adapt: () => import('./methods/adapt').then((m) => m.adaptMethods),
  views: () => import('./methods/views').then((m) => m.viewMethods),
  scale: () => import('./methods/scale').then((m) => m.scaleMethods),
  projects: () => import('./methods/projects').then((m) => m.projectMethods),
  decisions: () => import('./methods/decisions').then((m) => m.decisionMethods),
} satisfies Record<string, () => Promise<Record<string, () => Schemas>>>;

export type MethodArea = keyof typeof areaTables;
type AreaTable<A extends MethodArea> = Awaited<ReturnType<(typeof areaTables)[A]>>;
type AllTables = typeof coreMethods & typeof modelMethods & typeof modelSettingsMethods & typeof visionMethods & typeof curationMethods & typeof labelMethods & typeof similarityMethods & typeof formatMethods & typeof detectionMethods & typeof adaptMethods & typeof viewMethods & typeof scaleMethods & typeof projectMethods & typeof decisionMethods;

/** Every method: name → { input, output }. */
export type Methods = { readonly [M in keyof AllTables]: ReturnType<AllTables[M]> };
export type MethodName = keyof Methods;
type AreaOf<M extends MethodName> = { [A in MethodArea]: M extends keyof AreaTable<A> ? A : never }[MethodArea];

/**
 * Which area serves each method: what a transport knows about a method before anything of it is loaded. The type
 * makes it list every method of every area, each with the area that holds it (typecheck fails otherwise).
 */
export const methodAreas: { readonly [M in MethodName]: AreaOf<M> } = {
  'app.info': 'core', 'project.create': 'core', 'project.open': 'core', 'sources.list': 'core',
    'sources.add': 'core', 'items.count': 'core', 'items.page': 'core', 'items.get': 'core', 'issues.list': 'core',
    'jobs.list': 'core', 'jobs.get': 'core', 'jobs.cancel': 'core', 'jobs.resume': 'core',
  'models.list': 'models', 'models.pull': 'models', 'models.jobs': 'models', 'models.cancel': 'models',
    'models.import': 'models', 'models.validate': 'models', 'models.remove': 'models',
  'models.choices': 'modelSettings', 'models.choose': 'modelSettings', 'models.calibration': 'modelSettings',
    'models.calibrate': 'modelSettings',
  'vision.status': 'vision', 'embed.start': 'vision', 'embeddings.list': 'vision', 'models.fit': 'vision',
  'curate.runStats': 'curation', 'signals.list': 'curation', 'signals.forItem': 'curation', 'runs.list': 'curation',
    'signals.histogram': 'curation', 'selection.defaults': 'curation', 'selection.evaluate': 'curation',
    'selection.panel': 'curation', 'selection.save': 'curation', 'selection.list': 'curation',
    'selection.get': 'curation', 'selection.compare': 'curation', 'selection.refresh': 'curation',
    'selection.delete': 'curation', 'duplicates.groups': 'curation', 'duplicates.setKeeper': 'curation',
  'labels.run': 'labels', 'labels.counts': 'labels', 'labels.runs': 'labels', 'labels.defaults': 'labels',
    'pairscore.run': 'labels', 'concepts.run': 'labels',
  'dedup.semantic.run': 'similarity', 'search.text': 'similarity', 'search.similar': 'similarity',
    'search.items': 'similarity', 'map.get': 'similarity',
  'export.formats': 'formats', 'export.preview': 'formats', 'export.start': 'formats', 'downloads.start': 'formats',
    'downloads.status': 'formats',
  'detect.run': 'detection', 'detect.counts': 'detection', 'review.queue': 'detection', 'review.item': 'detection',
    'review.decide': 'detection', 'review.relabel': 'detection', 'review.setBox': 'detection',
    'review.setMask': 'detection', 'review.add': 'detection', 'review.delete': 'detection',
    'review.acceptAbove': 'detection', 'review.refine': 'detection', 'review.undo': 'detection',
    'review.redo': 'detection',
  'adapt.run': 'adapt', 'adapt.reports': 'adapt', 'adapt.queue': 'adapt', 'adapt.distill': 'adapt',
    'adapt.regions': 'adapt',
  'views.list': 'views', 'views.get': 'views', 'views.save': 'views', 'views.rename': 'views',
    'views.delete': 'views',
  'plan.export': 'scale', 'duplicates.adopt': 'scale',
  'project.close': 'projects', 'fs.list': 'projects', 'fs.resolve': 'projects',
  'items.marks': 'decisions', 'items.knowledge': 'decisions', 'items.ids': 'decisions', 'decide.set': 'decisions',
    'tags.add': 'decisions', 'tags.remove': 'decisions', 'tags.list': 'decisions', 'labels.acceptFor': 'decisions',
    'duplicates.notDuplicate': 'decisions',
};

const built = new Map<string, Schemas>();

/** A method's input and output schemas, built on its first use. */
export async function methodSchemas<M extends MethodName>(method: M): Promise<Methods[M]> {
  let schemas = built.get(method);
  if (!schemas) {
    const table = (await areaTables[methodAreas[method]]()) as Record<string, () => Schemas>;
    schemas = table[method]();
    built.set(method, schemas);
  }
  return schemas as Methods[M];
}

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
  return Object.hasOwn(methodAreas, name);
}

