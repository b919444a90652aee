// The recent-projects list: newest first, each project once, at most 10, and no write when a project opened
// again is already the newest (every CLI command on one project opens it).
import { readFileSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRecent, rememberRecent } from '../../main/engine/recent';
import { tempDir } from '../fixtures/images';

let before: string | undefined;
beforeEach(async () => {
  before = process.env.WINNOW_HOME;
  process.env.WINNOW_HOME = await tempDir();
});
afterEach(() => {
  if (before === undefined) delete process.env.WINNOW_HOME;
  else process.env.WINNOW_HOME = before;
});

describe('recent projects', () => {
  it('keeps the newest first, each once, at most 10', () => {
    for (let i = 0; i < 12; i++) rememberRecent(`/p/${i}`);
    rememberRecent('/p/5');
    expect(readRecent()).toEqual(['/p/5', '/p/11', '/p/10', '/p/9', '/p/8', '/p/7', '/p/6', '/p/4', '/p/3', '/p/2']);
  });

  it('does not rewrite the file when the project is already the newest', () => {
    rememberRecent('/p/a');
    rememberRecent('/p/b');
    const file = path.join(process.env.WINNOW_HOME!, 'recent.json');
    utimesSync(file, new Date(1_000_000), new Date(1_000_000));
    const text = readFileSync(file, 'utf8');
    rememberRecent('/p/b');
    expect(statSync(file).mtimeMs).toBe(1_000_000);
    rememberRecent('/p/a');
    expect(statSync(file).mtimeMs).not.toBe(1_000_000);
    expect(readRecent()).toEqual(['/p/a', '/p/b']);
    expect(text).toBe(JSON.stringify(['/p/b', '/p/a'], null, 1));
  });
});
