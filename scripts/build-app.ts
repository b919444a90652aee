// Builds the desktop app into dist/: esbuild bundles for main, ML host and preload; Vite for the renderer.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { build as esbuild } from 'esbuild';
import { appBuild } from '../electron.config';
import { APP_ROOT } from '../main/engine/paths';

export async function buildApp(): Promise<void> {
  await Promise.all(appBuild.bundles.map((b) => esbuild({ ...b, absWorkingDir: APP_ROOT })));
  for (const [from, to] of appBuild.copies) copyFileSync(path.join(APP_ROOT, from), path.join(APP_ROOT, to));
  const { build } = await import('vite');
  await build({ configFile: path.join(APP_ROOT, appBuild.rendererConfig), logLevel: 'warn' });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildApp();
  console.log('built dist/main/app/{main,ml-host,preload}.cjs and dist/renderer');
}
