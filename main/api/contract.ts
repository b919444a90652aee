// The one typed contract between the engine and every front end (Electron IPC, HTTP/WS, CLI).
// Each method has an input and an output schema; every input is validated before it reaches the engine.
import { z } from 'zod';
import { Job } from './job-schema';
import { visionMethods } from './methods/vision';
import { formatMethods } from './methods/formats';
import { ModelJob, modelMethods } from './methods/models';
import { curationMethods, SelectionFilter } from './methods/curation';
import { labelMethods } from './methods/labels';
import { similarityMethods } from './methods/similarity';
import { detectionMethods } from './methods/detection';

export const SourceKind = z.enum(['folder', 'jsonl', 'csv', 'webdataset', 'parquet', 'hf-imagefolder', 'coco', 'yolo']);

export const Source = z.object({
  id: z.number().int(),
  kind: SourceKind,
  path: z.string(),
  root: z.string(),
  name: z.string(),
  addedAt: z.string(),
  itemCount: z.number().int(),
  issueCount: z.number().int(),
});

export const Item = z.object({
  id: z.number().int(),
  sourceId: z.number().int(),
  key: z.string(),
  uri: z.string(),
  format: z.string().nullable(),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  caption: z.string().nullable(),
  captionOrigin: z.string().nullable(),
  extra: z.record(z.string(), z.unknown()).nullable(),
  issueCount: z.number().int(),
});

export { Job, JobState } from './job-schema';

export const Issue = z.object({
  id: z.number().int(),
  severity: z.enum(['error', 'warning']),
  kind: z.string(),
  message: z.string(),
  sourceId: z.number().int().nullable(),
  itemId: z.number().int().nullable(),
  jobId: z.number().int().nullable(),
  location: z.string().nullable(),
  createdAt: z.string(),
});

export const ProjectInfo = z.object({
  dir: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  itemCount: z.number().int(),
  sourceCount: z.number().int(),
  issueCount: z.number().int(),
});

export const AppInfo = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'browser', 'cli']),
  platform: z.string(),
  project: ProjectInfo.nullable(),
  recentProjects: z.array(z.string()),
});

const empty = z.object({}).strict();
const absPath = z.string().min(1).max(4096);
const id = z.number().int().positive();

/** The core methods: app, project, sources, items, issues, jobs. Areas add theirs from main/api/methods/. */
const coreMethods = {
  'app.info': { input: empty, output: AppInfo },
  'project.create': { input: z.object({ dir: absPath, name: z.string().min(1).max(200).optional() }).strict(), output: ProjectInfo },
  'project.open': { input: z.object({ dir: absPath }).strict(), output: ProjectInfo },
  'sources.list': { input: empty, output: z.array(Source) },
  'sources.add': {
    input: z.object({ path: absPath, kind: SourceKind.optional() }).strict(),
    output: z.object({ source: Source, jobId: z.number().int() }),
  },
  'items.count': { input: z.object({ sourceId: id.optional(), selection: SelectionFilter.optional(), label: z.string().min(1).max(200).optional() }).strict(), output: z.number().int() },
  'items.page': {
    input: z.object({ offset: z.number().int().min(0), limit: z.number().int().min(1).max(1000), sourceId: id.optional(), selection: SelectionFilter.optional(), label: z.string().min(1).max(200).optional() }).strict(),
    output: z.array(Item),
  },
  'items.get': { input: z.object({ id }).strict(), output: Item.extend({ issues: z.array(Issue) }) },
  'issues.list': {
    input: z.object({ offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(1000).default(200), sourceId: id.optional() }).strict(),
    output: z.object({ total: z.number().int(), issues: z.array(Issue) }),
  },
  'jobs.list': { input: empty, output: z.array(Job) },
  'jobs.cancel': { input: z.object({ id }).strict(), output: Job },
  'jobs.resume': { input: z.object({ id }).strict(), output: Job },
} as const;

/** Every method: name → { input, output }. */
export const methods = { ...coreMethods, ...modelMethods, ...visionMethods, ...curationMethods, ...labelMethods, ...similarityMethods, ...formatMethods, ...detectionMethods } as const;

/** Every event pushed from the engine to front ends. */
export const events = {
  'job.progress': Job,
  'items.changed': z.object({ sourceId: z.number().int().nullable(), count: z.number().int() }),
  'issues.changed': z.object({ count: z.number().int() }),
  'project.changed': ProjectInfo.nullable(),
  /** Progress of app-level jobs (model pulls), which belong to no project. */
  'models.job': ModelJob,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>;
export type MethodArgs<M extends MethodName> = z.output<Methods[M]['input']>;
export type MethodResult<M extends MethodName> = z.output<Methods[M]['output']>;
export type EventName = keyof typeof events;
export type EventPayload<E extends EventName> = z.output<(typeof events)[E]>;

export type SourceT = z.output<typeof Source>;
export type ItemT = z.output<typeof Item>;
export type JobT = z.output<typeof Job>;
export type IssueT = z.output<typeof Issue>;
export type ProjectInfoT = z.output<typeof ProjectInfo>;
export type AppInfoT = z.output<typeof AppInfo>;
export type MediaKind = 'thumb' | 'image';

/** What a renderer (or any client) sees, whatever the transport. */
export interface WinnowApi {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  mediaUrl(kind: MediaKind, itemId: number): string;
}

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

/** Error carried across transports with a stable code. */
export class ApiError extends Error {
  constructor(
    readonly code: 'bad_input' | 'not_found' | 'no_project' | 'conflict' | 'internal',
    message: string,
  ) {
    super(message);
  }
}
