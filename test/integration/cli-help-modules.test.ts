// `winnow --help` prints its usage without loading the engine: no SQLite, no onnxruntime (their native
// libraries and everything above them cost ~0.4 CPU-s of a 0.5 s `--help`). Which CommonJS modules a run
// loaded is read from Node's module cache at exit, through a preload, in the real CLI process (bundled when
// the bundle is fresh, else the sources through tsx); a command that opens a project is the positive control.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { winnowSync } from '../fixtures/cli';
import { tempDir } from '../fixtures/images';

let preload: string;
let out: string;

beforeAll(async () => {
  const dir = await tempDir();
  preload = path.join(dir, 'loaded-modules.mjs');
  out = path.join(dir, 'loaded.json');
  writeFileSync(preload, `import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(cache))));
`);
});

/** The CommonJS files a `winnow ARGS` process had loaded when it exited. */
function loadedBy(args: string[]): string[] {
  const run = winnowSync(args, { NODE_OPTIONS: `--import ${preload}` });
  expect(run.stderr).not.toMatch(/Error \[|preload/i);
  return JSON.parse(readFileSync(out, 'utf8')) as string[];
}

const native = (files: string[]) => files.filter((f) => /node_modules[\\/](better-sqlite3|onnxruntime-node|usearch|sharp)[\\/]/.test(f));

describe('winnow --help', () => {
  it('prints the usage, with the model-settings lines, without loading SQLite or onnxruntime', () => {
    const run = winnowSync(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('models choose TASK MODEL|default');
    expect(run.stdout).toContain('embed, pairscore, labels, detect, segment, refine');
    expect(native(loadedBy(['--help']))).toEqual([]);
  });

  it('a command that opens a project loads them (the check above can fail)', () => {
    const loaded = native(loadedBy(['views', 'list', '--project', path.join(path.dirname(out), 'no-such-project')]));
    expect(loaded.some((f) => f.includes('better-sqlite3'))).toBe(true);
  });
});
