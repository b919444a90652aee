// `npm run build:cli` also bundles the preprocessing worker (dist/cli/preprocess-worker.mjs), and a worker started
// from a checkout loads that bundle while it is fresh (the CLI's own rule, bin/cli-bundle.cjs) instead of compiling
// its TypeScript sources through tsx. Each run here is a real `winnow embed` in a fresh process with the model-input
// cache off, so every image is decoded on a worker; the worker says on stderr which build it loaded
// (WINNOW_CLI_START_TRACE=1), and the vectors stored must equal, bit for bit, those of a run whose workers compiled
// the sources. A bundle older than one of its sources is not loaded.
import { mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshCliBundle, freshPreprocessWorkerBundle, PREPROCESS_WORKER_BUNDLE, PREPROCESS_WORKER_INPUTS } from '../../bin/cli-bundle.cjs';
import { MatrixFile } from '../../main/engine/store/matrix-file';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { generateScenes } from '../../main/synthetic/generate';
import { buildCli } from '../../scripts/build-cli';
import { ROOT, winnowSync } from '../fixtures/cli';
import { tempDir } from '../fixtures/images';

const BUNDLE_LINE = 'winnow preprocess worker: bundle';
const SOURCES_LINE = 'winnow preprocess worker: TypeScript sources';

let home: string;
let data: string;

/** A new project over `data`, embedded by `winnow embed` with `env`: its stderr and its image vectors by file name. */
function embedWith(name: string, env: NodeJS.ProcessEnv): { stderr: string; vectors: Map<string, Buffer> } {
  const proj = path.join(home, name);
  const base = { WINNOW_HOME: home, WINNOW_INPUT_CACHE: '0' };
  expect(winnowSync(['init', proj], base).code).toBe(0);
  expect(winnowSync(['import', data, '--project', proj], base).code).toBe(0);
  const run = winnowSync(['embed', '--project', proj], { ...base, WINNOW_CLI_START_TRACE: '1', ...env });
  expect(run.code, run.stderr).toBe(0);
  const db = new Database(path.join(proj, 'project.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT i.uri, r.image_row row FROM embedding_rows r JOIN items i ON i.id = r.item_id').all() as { uri: string; row: number }[];
  db.close();
  const matrix = new MatrixFile(path.join(proj, 'embeddings', DEFAULT_MODEL, 'image.f32'), 128);
  try {
    return { stderr: run.stderr, vectors: new Map(rows.map((r) => [path.basename(r.uri), Buffer.from(matrix.read(r.row).buffer)])) };
  } finally {
    matrix.close();
  }
}

beforeAll(async () => {
  if (!freshCliBundle() || !freshPreprocessWorkerBundle()) await buildCli();
  home = await tempDir();
  data = path.join(home, 'data');
  const scenes = await generateScenes(5, { seed: 'cli-preprocess-worker', width: 640, height: 480 });
  mkdirSync(data);
  for (const [i, scene] of scenes.entries()) writeFileSync(path.join(data, `scene-${i}.jpg`), scene.jpeg);
}, 120_000);

describe('the preprocessing worker of a built checkout', () => {
  it('loads the bundle when it is fresh and stores the vectors of the workers that compile the sources', () => {
    expect(freshPreprocessWorkerBundle()).toBe(PREPROCESS_WORKER_BUNDLE);
    const bundled = embedWith('bundled', {});
    expect(bundled.stderr).toContain('winnow start: winnow.cjs'); // the command itself from its bundle too
    expect(bundled.stderr).toContain(BUNDLE_LINE);
    expect(bundled.stderr).not.toContain(SOURCES_LINE);
    const sources = embedWith('sources', { WINNOW_CLI_BUNDLE: '0' });
    expect(sources.stderr).toContain(SOURCES_LINE);
    expect(sources.stderr).not.toContain(BUNDLE_LINE);
    expect(bundled.vectors.size).toBe(5);
    expect([...bundled.vectors.keys()].sort()).toEqual([...sources.vectors.keys()].sort());
    for (const [name, vector] of bundled.vectors) expect(vector.equals(sources.vectors.get(name)!), name).toBe(true);
  }, 240_000);

  it('falls back to the sources when one of them is newer than the bundle', () => {
    const { mtime } = statSync(PREPROCESS_WORKER_BUNDLE);
    // Older than every source it lists: as if a source had been edited after the build.
    const newestInput = Math.max(...(JSON.parse(readFileSync(PREPROCESS_WORKER_INPUTS, 'utf8')) as string[]).map((p) => statSync(path.join(ROOT, p)).mtimeMs));
    const before = new Date(newestInput - 60_000);
    try {
      utimesSync(PREPROCESS_WORKER_BUNDLE, before, before);
      expect(freshPreprocessWorkerBundle()).toBeNull();
      const stale = embedWith('stale', {});
      expect(stale.stderr).toContain('winnow start: winnow.cjs'); // the command's own bundle is still fresh
      expect(stale.stderr).toContain(SOURCES_LINE);
      expect(stale.stderr).not.toContain(BUNDLE_LINE);
      expect(stale.vectors.size).toBe(5);
    } finally {
      utimesSync(PREPROCESS_WORKER_BUNDLE, mtime, mtime);
    }
    expect(freshPreprocessWorkerBundle()).toBe(PREPROCESS_WORKER_BUNDLE);
  }, 240_000);
});
