#!/usr/bin/env node
// The `winnow` command in a checkout: the bundle `npm run build:cli` wrote while it is fresh (fast start:
// the single CommonJS file with its code cache, see cli-fast-start.mjs, else the ES-module bundle), else the
// TypeScript sources through tsx (no build step needed). WINNOW_CLI_BUNDLE=0 forces the sources,
// WINNOW_CLI_FAST_START=0 the ES-module bundle.
import { pathToFileURL } from 'node:url';
import { freshCliBundle } from './cli-bundle.mjs';
import { startFastBundle, traceStart as trace } from './cli-fast-start.mjs';

const bundle = freshCliBundle();
// The usage needs none of what the fast start reads and deserialises (~0.04 CPU-s): the ES bundle prints it.
const usageOnly = process.argv.length <= 2 || process.argv.includes('--help') || process.argv.includes('-h');
if (bundle) {
  if (usageOnly || !startFastBundle()) {
    trace('ES-module bundle');
    await import(pathToFileURL(bundle).href);
  }
} else {
  trace('TypeScript sources');
  const { register } = await import('tsx/esm/api');
  register();
  await import('../main/cli/index.ts');
}
