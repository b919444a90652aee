// The project's entities as every layer sees them: sources, items, issues, project and app info.
import { z } from 'zod';

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

export const Issue = z.object({
  id: z.number().int(),
  severity: z.enum(['error', 'warning']),
  kind: z.string(),
  message: z.string(),
  sourceId: z.number().int().nullable(),
  itemId: z.number().int().nullable(),
  jobId: z.number().int().nullable(),
  location: z.string().nullable(),
  /** A tool's raw message (libvips, a parser) when `message` puts it in plain words. */
  detail: z.string().nullable().optional(),
  createdAt: z.string(),
});

/** The process that writes a project (one at a time); others attach to it or read. */
export const ProjectOwner = z.object({
  pid: z.number().int(),
  host: z.string(),
  command: z.string(),
  startedAt: z.string(),
  heartbeatAt: z.string(),
});

export const ProjectInfo = z.object({
  dir: z.string(),
  name: z.string(),
  schemaVersion: z.number().int(),
  itemCount: z.number().int(),
  sourceCount: z.number().int(),
  issueCount: z.number().int(),
  /** 'owner': this process writes the project; 'read-only': another process owns it and this one only reads. */
  access: z.enum(['owner', 'read-only']),
  /** Who owns the project when this process does not. */
  owner: ProjectOwner.nullable(),
});

export const AppInfo = z.object({
  version: z.string(),
  mode: z.enum(['electron', 'browser', 'cli']),
  platform: z.string(),
  project: ProjectInfo.nullable(),
  recentProjects: z.array(z.string()),
});

export type SourceT = z.output<typeof Source>;
export type ItemT = z.output<typeof Item>;
export type IssueT = z.output<typeof Issue>;
export type ProjectInfoT = z.output<typeof ProjectInfo>;
export type ProjectOwnerT = z.output<typeof ProjectOwner>;
export type AppInfoT = z.output<typeof AppInfo>;
export type MediaKind = 'thumb' | 'image';

export { describeOwner } from './owner';
