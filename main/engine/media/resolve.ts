import { type BigIntStats, lstatSync, realpathSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../domain/errors';
import { sourceRoots } from '../ingest/open-source';
import { statement } from '../store/statements';
import type { Project } from '../project';
import { type Embedded, embeddedOf, readEmbedded } from './embedded';

/** What locating an item's file needs from its row. */
export interface ItemLocation {
  id: number;
  uri: string;
  sourceId: number;
  provenance: Record<string, unknown> | null;
}

export interface ResolvedItemFile {
  file: string;
  format: string | null;
  embedded?: Embedded | null;
  /** The file's stat when the resolver took it on the way (a pass's fast path), so callers need not stat it again. */
  stats?: BigIntStats;
}

/** Whether `real` (a resolved path) is `realRoot` or lies under it. */
function inside(realRoot: string, real: string): boolean {
  const rel = path.relative(realRoot, real);
  return !(rel.startsWith('..') || path.isAbsolute(rel));
}

/**
 * Locates items' files for a pass over many of them: the source roots are looked up and resolved once, not
 * per item (a pass over 100k items otherwise spends more CPU finding files than reading model inputs).
 */
export function itemFileResolver(project: Project): (item: ItemLocation, format?: string | null) => Promise<ResolvedItemFile> {
  let roots: Map<number, string> | null = null;
  const realRoots = new Map<string, Promise<string>>();
  // Folders resolved in this pass (real path, under their source's real root). A pass reads many files per folder, and
  // resolving each file's whole path (realpath(3): a readlink per component) cost ~30% of the main thread's time per
  // image in the first embed job. A file in a known folder is checked with one lstat: a regular file there has the real
  // path folder + name (no component left to follow); anything else, a symlink above all, takes the full realpath.
  // Folders are trusted for the pass only: a folder swapped for a link after the pass began is seen by the next pass.
  const realDirs = new Map<string, string>();
  return async (item, format = null) => {
    const downloaded = typeof item.provenance?.downloaded === 'string' ? item.provenance.downloaded : null;
    if (/^https?:\/\//i.test(item.uri) && !downloaded) throw new ApiError('not_found', `item ${item.id} is a remote URL that has not been downloaded`);
    // Embedded items (tar member, parquet cell) name their container in the uri before '#'; downloads live under the project.
    const embedded = downloaded ? null : embeddedOf(item.provenance);
    const target = downloaded ? path.join(project.dir, downloaded) : embedded ? item.uri.slice(0, item.uri.lastIndexOf('#')) : item.uri;
    const root = downloaded ? path.join(project.dir, 'downloads') : (roots ??= sourceRoots(project)).get(item.sourceId);
    if (!root) throw new ApiError('not_found', `item ${item.id} has no source`);
    let realRoot: string;
    let realFile: string;
    try {
      let resolvedRoot = realRoots.get(root);
      if (!resolvedRoot) realRoots.set(root, (resolvedRoot = realpath(root)));
      realRoot = await resolvedRoot;
    } catch {
      realRoots.delete(root); // a root that was missing may be back for the next item
      throw new ApiError('not_found', `file of item ${item.id} is missing: ${item.uri}`);
    }
    const dir = path.dirname(target);
    const dirKey = `${realRoot}\0${dir}`;
    const realDir = realDirs.get(dirKey);
    if (realDir !== undefined) {
      let stats;
      try {
        // bigint: the model-input cache and the thumbnails compare the file's times to the nanosecond (source-stamp.ts).
        stats = lstatSync(target, { bigint: true });
      } catch {
        // missing, or a path through a non-folder: the full path below reports it
      }
      if (stats?.isFile()) return { file: path.join(realDir, path.basename(target)), format, embedded, stats };
    }
    try {
      // One realpath(3) call, not the promise API's thread-pool round trip (3–4× the CPU per item in a pass).
      realFile = realpathSync.native(target);
    } catch {
      throw new ApiError('not_found', `file of item ${item.id} is missing: ${item.uri}`);
    }
    if (!inside(realRoot, realFile)) throw new ApiError('not_found', `file of item ${item.id} lies outside its source`);
    if (realDir === undefined) {
      // Only a folder that itself lies under the root serves later files by lstat; others keep the full check.
      try {
        const resolvedDir = realpathSync.native(dir);
        if (inside(realRoot, resolvedDir)) realDirs.set(dirKey, resolvedDir);
      } catch {
        // gone since: the next file there takes the full path again
      }
    }
    return { file: realFile, format, embedded };
  };
}

/** What locating an item's file needs, in one prepared lookup (not the grid's full item row); null for no such item. */
export function itemLocation(project: Project, itemId: number): (ItemLocation & { format: string | null }) | null {
  const row = statement(project.db, 'SELECT uri, source_id sourceId, provenance, format FROM items WHERE id = ?').get(itemId) as
    | { uri: string; sourceId: number; provenance: string | null; format: string | null }
    | undefined;
  return row ? { id: itemId, uri: row.uri, sourceId: row.sourceId, provenance: row.provenance ? (JSON.parse(row.provenance) as Record<string, unknown>) : null, format: row.format } : null;
}

/** `itemId`'s file, located by `resolve` (a resolver kept for a pass, or a fresh one). */
export function resolveItemWith(project: Project, resolve: ReturnType<typeof itemFileResolver>, itemId: number): Promise<ResolvedItemFile> {
  const item = itemLocation(project, itemId);
  if (!item) return Promise.reject(new ApiError('not_found', `no item ${itemId}`));
  return resolve(item, item.format);
}

/** The file behind an item, only if it really lies under its source's folder (symlinks resolved). */
export function resolveItemFile(project: Project, itemId: number): Promise<ResolvedItemFile> {
  return resolveItemWith(project, itemFileResolver(project), itemId);
}

/** The bytes of an item, wherever they live (file, tar member, parquet cell, download), with the same checks. */
export async function readItemBytes(project: Project, itemId: number): Promise<{ data: Buffer; file: string; format: string | null }> {
  const resolved = await resolveItemFile(project, itemId);
  const data = resolved.embedded ? await readEmbedded(resolved.file, resolved.embedded) : await readFile(resolved.file);
  return { data, file: resolved.file, format: resolved.format };
}
