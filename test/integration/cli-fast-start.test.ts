// After `npm run build:cli`, `winnow` starts from the single CommonJS bundle with its V8 code cache
// (bin/cli-fast-start.cjs), and every way the cache can fail to match (none for this bundle or node, one V8
// rejects, one left from a rebuild of the same length) still runs the command, compiled from source. Each run
// is a real `winnow search` whose hits are checked against a brute-force scan of the planted vectors, and
// against the ES-module bundle (WINNOW_CLI_FAST_START=0). The changed bundles are copies beside the real one
// (their relative paths to models/ and node_modules/ hold), so other tests keep the real bundle untouched.
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, freshCliBundle, freshCliBundleAsync } from '../../bin/cli-bundle.cjs';
import { buildCodeCache, CLI_FAST_BUNDLE, codeCachePath } from '../../bin/cli-fast-start.cjs';
import { buildCli } from '../../scripts/build-cli';
import { ROOT, winnowSync } from '../fixtures/cli';
import { tempDir } from '../fixtures/images';
import { searchProject } from '../fixtures/search-project';

const ROWS = 300;
const DIM = 128;
const QUERY = 'a photo of a red circle';

let home: string;
let dir: string;
let runner: string;
let copy: string;
/** Item ids of the top 5 rows by a plain dot product of the query's text embedding with every planted row. */
let expected: number[];

const args = () => ['search', QUERY, '--k', '5', '--json', '--project', dir];
const TRACE = { WINNOW_CLI_START_TRACE: '1' };
const hits = (stdout: string) => (JSON.parse(stdout) as { hits: { itemId: number }[] }).hits.map((h) => h.itemId);

/** `winnow search` started by startFastBundle(bundle), as bin/winnow.cjs starts it. */
function fromBundle(bundle: string) {
  const res = spawnSync(process.execPath, [runner, ...args()], { encoding: 'utf8', env: { ...process.env, ...TRACE, WINNOW_HOME: home, WINNOW_TEST_BUNDLE: bundle }, timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

beforeAll(async () => {
  if (!freshCliBundle()) await buildCli();
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  const scratch = await tempDir();
  dir = path.join(scratch, 'project');
  expected = await searchProject(dir, ROWS, DIM, QUERY);
  runner = path.join(scratch, 'start.mjs');
  writeFileSync(runner, `import { startFastBundle } from ${JSON.stringify(path.join(ROOT, 'bin', 'cli-fast-start.cjs'))};
if (!startFastBundle(process.env.WINNOW_TEST_BUNDLE)) throw new Error('the fast start declined');\n`);
  copy = path.join(path.dirname(CLI_FAST_BUNDLE), `fast-start-test-${process.pid}.cjs`);
}, 120_000);

afterAll(() => {
  delete process.env.WINNOW_HOME;
  const folder = path.dirname(copy);
  for (const f of readdirSync(folder)) if (f.startsWith(path.basename(copy))) rmSync(path.join(folder, f), { force: true });
});

describe('winnow fast start', () => {
  it('a fresh build starts from the CommonJS bundle with its code cache, and finds what the ES-module bundle finds', () => {
    const fast = winnowSync(args(), { ...TRACE, WINNOW_HOME: home });
    expect(fast.code, fast.stderr).toBe(0);
    expect(fast.stderr).toContain('winnow start: winnow.cjs, code cache accepted');
    expect(hits(fast.stdout)).toEqual(expected);
    const esm = winnowSync(args(), { ...TRACE, WINNOW_HOME: home, WINNOW_CLI_FAST_START: '0' });
    expect(esm.code, esm.stderr).toBe(0);
    expect(esm.stderr).toContain('winnow start: ES-module bundle');
    expect(esm.stdout).toBe(fast.stdout);
    // The former entry, bin/winnow.mjs (scripts and docs name it), starts the same way and prints the same.
    const former = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'winnow.mjs'), ...args()], { encoding: 'utf8', env: { ...process.env, ...TRACE, WINNOW_HOME: home }, timeout: 120_000 });
    expect(former.status, former.stderr).toBe(0);
    expect(former.stderr).toContain('winnow start: winnow.cjs, code cache accepted');
    expect(former.stdout).toBe(fast.stdout);
    // The usage alone is cheaper from the ES bundle's entry chunk than through the fast start.
    const help = winnowSync(['--help'], TRACE);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stderr).toContain('winnow start: ES-module bundle');
  }, 120_000);

  it('no cache for this bundle, a cache V8 rejects, and a cache left from a same-length rebuild all fall back to compiling', () => {
    const source = readFileSync(CLI_FAST_BUNDLE, 'utf8');
    copyFileSync(CLI_FAST_BUNDLE, copy);
    const missing = fromBundle(copy);
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.stderr).toContain('code cache missing');
    expect(hits(missing.stdout)).toEqual(expected);

    // Garbage where this bundle's cache belongs (a truncated write, another V8): rejected, compiled from source.
    writeFileSync(codeCachePath(copy), Buffer.alloc(4096, 7));
    const rejected = fromBundle(copy);
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(rejected.stderr).toContain('code cache rejected');
    expect(hits(rejected.stdout)).toEqual(expected);

    // A real cache, then the bundle rebuilt to the same length: V8 alone would accept the old cache (it checks
    // only the length), the bundle file's modification time in the cache's name keeps it from being found.
    buildCodeCache(copy);
    expect(fromBundle(copy).stderr).toContain('code cache accepted');
    const changed = source.replace('curate image-text datasets', 'CURATE image-text datasets');
    expect(changed.length).toBe(source.length);
    expect(changed).not.toBe(source);
    writeFileSync(copy, changed);
    const rebuilt = fromBundle(copy);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toContain('code cache missing');
    expect(hits(rebuilt.stdout)).toEqual(expected);
  }, 120_000);

  it('a source changed after the build: the stats (run beside the compile) say so, and the command runs the sources', async () => {
    expect(freshCliBundle()).toBe(CLI_BUNDLE);
    expect(await freshCliBundleAsync()).toBe(CLI_BUNDLE);
    const source = path.join(ROOT, 'main', 'cli', 'search.ts');
    const { atime, mtime } = statSync(source);
    utimesSync(source, atime, new Date(Date.now() + 3_600_000));
    try {
      expect(freshCliBundle()).toBeNull();
      expect(await freshCliBundleAsync()).toBeNull();
      const run = winnowSync(args(), { ...TRACE, WINNOW_HOME: home });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toContain('winnow start: TypeScript sources');
      expect(hits(run.stdout)).toEqual(expected);
    } finally {
      utimesSync(source, atime, mtime);
    }
    expect(await freshCliBundleAsync()).toBe(CLI_BUNDLE);
  }, 120_000);
});
