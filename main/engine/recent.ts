import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Winnow's per-user folder (models, recent projects); WINNOW_HOME moves it, e.g. for tests. */
export function winnowHome(): string {
  return process.env.WINNOW_HOME ?? path.join(os.homedir(), '.winnow');
}

export function readRecent(): string[] {
  try {
    const list = JSON.parse(readFileSync(path.join(winnowHome(), 'recent.json'), 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  } catch {
    return [];
  }
}

export function rememberRecent(dir: string): void {
  const recent = readRecent();
  // Already the latest (every command run again on one project): nothing to write.
  if (recent[0] === dir) return;
  const list = [dir, ...recent.filter((p) => p !== dir)].slice(0, 10);
  try {
    mkdirSync(winnowHome(), { recursive: true });
    writeFileSync(path.join(winnowHome(), 'recent.json'), JSON.stringify(list, null, 1));
  } catch {
    // A read-only home only costs the recent list.
  }
}
