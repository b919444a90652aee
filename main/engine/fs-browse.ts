// The folder browser behind browser mode's path pickers (Electron uses the native dialog instead): lists what this
// process may read under the allowed roots, and resolves what a person typed without ever using the server's working folder.
import { constants } from 'node:fs';
import { access, readdir, realpath, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../domain/errors';

export interface BrowseEntry { name: string; path: string; kind: 'dir' | 'file'; project: boolean }
export interface Listing { dir: string; parent: string | null; entries: BrowseEntry[]; roots: string[]; truncated: boolean }

/** Most entries one listing returns (a folder of a million images lists its first ones, sorted, and says so). */
const MAX_ENTRIES = 2_000;

/**
 * Where browsing may go: WINNOW_BROWSE_ROOTS (path-delimited) when set, else the whole file system as the user sees it
 * (Winnow is a single-user local tool, see SECURITY.md: the API is the user's own, behind the token).
 */
export function browseRoots(): string[] {
  const env = process.env.WINNOW_BROWSE_ROOTS;
  return env ? env.split(path.delimiter).filter(Boolean).map((r) => path.resolve(r)) : [];
}

/** Where a listing starts: the first allowed root, else the user's home folder. */
export function browseStart(): string {
  return browseRoots()[0] ?? os.homedir();
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

async function allowed(dir: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch {
    throw new ApiError('not_found', `no folder ${dir}`);
  }
  const roots = browseRoots();
  if (roots.length) {
    const realRoots = await Promise.all(roots.map((r) => realpath(r).catch(() => r)));
    if (!realRoots.some((r) => inside(r, real))) throw new ApiError('conflict', `${dir} is outside the folders this server may browse (WINNOW_BROWSE_ROOTS)`);
  }
  return real;
}

const readable = (p: string, mode: number) => access(p, mode).then(() => true, () => false);

/** The readable sub-folders (and, with `files`, files) of `dir`, folders first, hidden ones left out unless asked. */
export async function listDir(dir: string | undefined, { files = false, hidden = false } = {}): Promise<Listing> {
  const start = dir ?? browseStart();
  if (!path.isAbsolute(start)) throw new ApiError('bad_input', `${start} is not an absolute path`);
  const real = await allowed(start);
  if (!(await stat(real)).isDirectory()) throw new ApiError('bad_input', `${start} is not a folder`);
  if (!(await readable(real, constants.R_OK | constants.X_OK))) throw new ApiError('conflict', `${start} cannot be read by this user`);
  const dirents = await readdir(real, { withFileTypes: true });
  const entries: BrowseEntry[] = [];
  for (const d of dirents.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!hidden && d.name.startsWith('.')) continue;
    const full = path.join(real, d.name);
    let isDir = d.isDirectory();
    if (d.isSymbolicLink()) isDir = await stat(full).then((s) => s.isDirectory(), () => false);
    if (!isDir && !(files && (d.isFile() || d.isSymbolicLink()))) continue;
    // Only what the user may open: folders they can list, files they can read.
    if (!(await readable(full, isDir ? constants.R_OK | constants.X_OK : constants.R_OK))) continue;
    const project = isDir && (await readable(path.join(full, 'project.sqlite'), constants.R_OK));
    entries.push({ name: d.name, path: full, kind: isDir ? 'dir' : 'file', project });
  }
  entries.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'dir' ? -1 : 1));
  const up = path.dirname(real);
  const roots = browseRoots();
  const parent = up === real || (roots.length > 0 && !(await allowed(up).then(() => true, () => false))) ? null : up;
  return { dir: real, parent, entries: entries.slice(0, MAX_ENTRIES), roots: roots.length ? roots : [os.homedir(), path.parse(real).root], truncated: entries.length > MAX_ENTRIES };
}

export interface ResolvedPath { input: string; absolute: string; wasRelative: boolean; exists: boolean; kind: 'dir' | 'file' | null; base: string | null }

/**
 * What a typed path means, said out loud: "~" is the home folder, and a relative path is taken from where the folder
 * browser starts (the first allowed root, else home; never the server's working folder); the caller shows `absolute`
 * and asks before using it.
 */
export async function resolveTyped(input: string): Promise<ResolvedPath> {
  const typed = input.trim();
  const home = os.homedir();
  // A relative path starts where the folder browser starts: the first allowed root, else home.
  const start = browseStart();
  const expanded = typed === '~' ? home : typed.startsWith('~/') || typed.startsWith('~\\') ? path.join(home, typed.slice(2)) : typed;
  const wasRelative = !path.isAbsolute(expanded);
  const absolute = wasRelative ? path.resolve(start, expanded) : path.normalize(expanded);
  const s = await stat(absolute).catch(() => null);
  return { input: typed, absolute, wasRelative: wasRelative || expanded !== typed, exists: s !== null, kind: s ? (s.isDirectory() ? 'dir' : 'file') : null, base: wasRelative ? start : expanded !== typed ? home : null };
}
