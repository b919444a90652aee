#!/usr/bin/env node
// The `winnow` command in a checkout: the bundle `npm run build:cli` wrote while it is fresh (fast start),
// else the TypeScript sources through tsx (no build step needed). WINNOW_CLI_BUNDLE=0 forces the sources.
import { pathToFileURL } from 'node:url';
import { freshCliBundle } from './cli-bundle.mjs';

const bundle = freshCliBundle();
if (bundle) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../main/cli/index.ts');
}
