// Exports are written into `<dest>.partial-XXXX` next to the destination and renamed into place only when complete.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
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

/** Removes partial folders a killed export left next to `dest`. */
export async function removeStalePartials(dest: string): Promise<void> {
  const parent = path.dirname(dest);
  const prefix = `${path.basename(dest)}${PARTIAL_MARKER}`;
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(path.join(parent, name), { recursive: true, force: true });
  }
}
