#!/usr/bin/env node
// The `winnow` command in a checkout: the bundle `npm run build:cli` wrote while it is fresh (fast start:
// the single CommonJS file with its code cache, see cli-fast-start.cjs, else the ES-module bundle), else the
// TypeScript sources through tsx (no build step needed). WINNOW_CLI_BUNDLE=0 forces the sources,
// WINNOW_CLI_FAST_START=0 the ES-module bundle.
// CommonJS, as is all a fast start loads before the bundle: from an ES-module entry node first runs its
// ES-module pipeline (module map, jobs, async reads of each file, linking) for the entry and these two helpers;
// `winnow search` reached the bundle ~20-30 ms of CPU later that way (30 interleaved starts, load ~6).
// bin/winnow.mjs, the entry's former name, loads this file.
'use strict';
const { pathToFileURL } = require('node:url');
const { freshCliBundleAsync } = require('./cli-bundle.cjs');
const { compileFastBundle, runFastBundle, traceStart: trace } = require('./cli-fast-start.cjs');

// The usage needs none of what the fast start reads and deserialises (~0.04 CPU-s): the ES bundle prints it.
const usageOnly = process.argv.length <= 2 || process.argv.includes('--help') || process.argv.includes('-h');
// Whether the bundle is fresh is found by stats on libuv's threads while the main thread compiles the bundle; it
// runs only once they say no source changed since the build.
const fresh = freshCliBundleAsync();
const fast = usageOnly ? null : compileFastBundle();
fresh.then((bundle) => {
  if (bundle) {
    if (fast) runFastBundle(fast);
    else {
      trace('ES-module bundle');
      import(pathToFileURL(bundle).href);
    }
  } else {
    trace('TypeScript sources');
    import('tsx/esm/api').then(({ register }) => {
      register();
      return import('../main/cli/index.ts');
    });
  }
});
