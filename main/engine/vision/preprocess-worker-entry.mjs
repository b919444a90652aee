// Worker threads start without the parent's TypeScript loader (tsx registered through its API, as
// bin/winnow.cjs does, or vitest's transform), so this plain-JS entry loads the worker itself. In a checkout:
// the bundle `npm run build:cli` wrote (dist/cli/preprocess-worker.mjs) while it is fresh, by the CLI's own rule
// (bin/cli-bundle.cjs), else the TypeScript sources through tsx's scoped importer (which also works when the
// parent already has tsx). A worker thread's start to ready, median of 5 interleaved at load ~6.4: 705 CPU-ms from the
// sources, 270 from the bundle (sharp ~170 of it), 69 for an empty worker. WINNOW_CLI_START_TRACE=1 says on stderr
// which one a worker loads.
import { existsSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const typescriptWorker = new URL('./preprocess-worker.ts', import.meta.url);
const trace = (how) => process.env.WINNOW_CLI_START_TRACE === '1' && writeSync(2, `winnow preprocess worker: ${how}\n`);
if (existsSync(fileURLToPath(typescriptWorker))) {
  const { freshPreprocessWorkerBundle } = createRequire(import.meta.url)('../../../bin/cli-bundle.cjs');
  const bundle = freshPreprocessWorkerBundle();
  trace(bundle ? 'bundle' : 'TypeScript sources');
  if (bundle) {
    await import(pathToFileURL(bundle).href);
  } else {
    const { tsImport } = await import('tsx/esm/api');
    await tsImport(typescriptWorker.href, import.meta.url);
  }
} else {
  // A build that compiled the engine to JavaScript ships preprocess-worker.js beside this file.
  await import('./preprocess-worker.js');
}
