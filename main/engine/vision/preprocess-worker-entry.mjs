// Worker threads start without the parent's TypeScript loader (tsx registered through its API, as
// bin/winnow.cjs does, or vitest's transform), so this plain-JS entry loads the TypeScript worker
// itself through tsx's scoped importer, which also works when the parent already has tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const typescriptWorker = new URL('./preprocess-worker.ts', import.meta.url);
if (existsSync(fileURLToPath(typescriptWorker))) {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport(typescriptWorker.href, import.meta.url);
} else {
  // A build that compiled the engine to JavaScript ships preprocess-worker.js beside this file.
  await import('./preprocess-worker.js');
}
