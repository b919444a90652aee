import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../api/contract';
import type { Project } from '../project';

/** The file behind an item, only if it really lies under its source's folder (symlinks resolved). */
export async function resolveItemFile(project: Project, itemId: number): Promise<{ file: string; format: string | null }> {
  const item = project.items.get(itemId);
  if (!item) throw new ApiError('not_found', `no item ${itemId}`);
  if (/^https?:\/\//i.test(item.uri)) throw new ApiError('not_found', `item ${itemId} is a remote URL that has not been downloaded`);
  const root = project.sources.roots().get(item.sourceId);
  if (!root) throw new ApiError('not_found', `item ${itemId} has no source`);
  let realFile: string;
  let realRoot: string;
  try {
    [realFile, realRoot] = await Promise.all([realpath(item.uri), realpath(root)]);
  } catch {
    throw new ApiError('not_found', `file of item ${itemId} is missing: ${item.uri}`);
  }
  const rel = path.relative(realRoot, realFile);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new ApiError('not_found', `file of item ${itemId} lies outside its source`);
  return { file: realFile, format: item.format };
}
