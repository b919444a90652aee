// Exports are written into `<dest>.partial-XXXX` next to the destination and renamed into place only when complete.
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export const PARTIAL_MARKER = '.partial-';

export async function checkDestination(dest: string, overwrite: boolean): Promise<void> {
  if (!path.isAbsolute(dest)) throw new Error(`destination must be an absolute path: ${dest}`);
  const parent = path.dirname(dest);
  if (!existsSync(parent) || !(await stat(parent)).isDirectory()) throw new Error(`the folder ${parent} does not exist`);
  if (existsSync(dest)) {
    if (!(await stat(dest)).isDirectory()) throw new Error(`${dest} exists and is not a folder`);
    if ((await readdir(dest)).length && !overwrite) throw new Error(`${dest} exists and is not empty; choose another folder or allow overwrite`);
  }
}

export async function makePartial(dest: string): Promise<string> {
  const dir = `${dest}${PARTIAL_MARKER}${randomBytes(4).toString('hex')}`;
  await mkdir(dir);
  return dir;
}

/** Resolves `rel` under `dir`; throws for absolute paths, `..` escapes and empty names. */
export function safeJoin(dir: string, rel: string): string {
  if (!rel || path.isAbsolute(rel) || rel.split(/[\\/]/).includes('..')) throw new Error(`refusing to write ${JSON.stringify(rel)} outside the export folder`);
  const full = path.resolve(dir, rel);
  const back = path.relative(dir, full);
  if (back.startsWith('..') || path.isAbsolute(back)) throw new Error(`refusing to write ${JSON.stringify(rel)} outside the export folder`);
  return full;
}

/** Moves the finished partial folder to `dest` (replacing an existing one only when allowed). */
export async function publish(partial: string, dest: string, overwrite: boolean): Promise<void> {
  if (existsSync(dest)) {
    const empty = (await readdir(dest)).length === 0;
    if (!empty && !overwrite) throw new Error(`${dest} appeared while exporting; the export is left in ${partial}`);
    const old = `${dest}.old-${randomBytes(4).toString('hex')}`;
    await rename(dest, old);
    await rename(partial, dest);
    await rm(old, { recursive: true, force: true });
    return;
  }
  await rename(partial, dest);
}

export const LOCK_SUFFIX = '.winnow-export.lock';

/** Whether a process with this pid is alive (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds the export lock of `dest` right now (a live process), or null. */
export function destinationOwner(dest: string): { pid: number; job: number | null } | null {
  try {
    const held = JSON.parse(readFileSync(`${dest}${LOCK_SUFFIX}`, 'utf8')) as { pid?: unknown; job?: unknown };
    const pid = typeof held.pid === 'number' ? held.pid : null;
    if (pid === null || !alive(pid)) return null;
    return { pid, job: typeof held.job === 'number' ? held.job : null };
  } catch {
    return null;
  }
}

/**
 * Claims `dest` for one running export: `<dest>.winnow-export.lock` created with O_EXCL records pid and job. A lock whose process
 * is dead is stale and taken over; a live one refuses. Returns the release function.
 */
export function lockDestination(dest: string, job: number): () => void {
  const file = `${dest}${LOCK_SUFFIX}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, JSON.stringify({ pid: process.pid, job, since: new Date().toISOString() }));
      } finally {
        closeSync(fd);
      }
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = destinationOwner(file.slice(0, -LOCK_SUFFIX.length));
      if (owner) throw new Error(`another export (process ${owner.pid}${owner.job !== null ? `, job ${owner.job}` : ''}) is writing to ${dest}; wait for it or choose another folder`);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not claim ${dest} for this export`);
}

/** Removes partial folders a killed export left next to `dest` (call only while holding its lock). */
export async function removeStalePartials(dest: string): Promise<void> {
  const parent = path.dirname(dest);
  const prefix = `${path.basename(dest)}${PARTIAL_MARKER}`;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}
