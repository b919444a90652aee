import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../domain/errors';
import { sourceRoots } from '../ingest/open-source';
import type { Project } from '../project';
import { type Embedded, embeddedOf, readEmbedded } from './embedded';

/** The file behind an item, only if it really lies under its source's folder (symlinks resolved). */
export async function resolveItemFile(project: Project, itemId: number): Promise<{ file: string; format: string | null; embedded?: Embedded | null }> {
  const item = project.items.get(itemId);
  if (!item) throw new ApiError('not_found', `no item ${itemId}`);
  const provenance = project.items.provenance(itemId);
  const downloaded = typeof provenance?.downloaded === 'string' ? provenance.downloaded : null;
  if (/^https?:\/\//i.test(item.uri) && !downloaded) throw new ApiError('not_found', `item ${itemId} is a remote URL that has not been downloaded`);
  // Embedded items (tar member, parquet cell) name their container in the uri before '#'; downloads live under the project.
  const embedded = downloaded ? null : embeddedOf(provenance);
  const target = downloaded ? path.join(project.dir, downloaded) : embedded ? item.uri.slice(0, item.uri.lastIndexOf('#')) : item.uri;
  const root = downloaded ? path.join(project.dir, 'downloads') : sourceRoots(project).get(item.sourceId);
  if (!root) throw new ApiError('not_found', `item ${itemId} has no source`);
  let realFile: string;
  let realRoot: string;
  try {
    [realFile, realRoot] = await Promise.all([realpath(target), realpath(root)]);
  } catch {
    throw new ApiError('not_found', `file of item ${itemId} is missing: ${item.uri}`);
  }
  const rel = path.relative(realRoot, realFile);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new ApiError('not_found', `file of item ${itemId} lies outside its source`);
  return { file: realFile, format: item.format, embedded };
}

/** The bytes of an item, wherever they live (file, tar member, parquet cell, download), with the same checks. */
export async function readItemBytes(project: Project, itemId: number): Promise<{ data: Buffer; file: string; format: string | null }> {
  const resolved = await resolveItemFile(project, itemId);
  const data = resolved.embedded ? await readEmbedded(resolved.file, resolved.embedded) : await readFile(resolved.file);
  return { data, file: resolved.file, format: resolved.format };
}
