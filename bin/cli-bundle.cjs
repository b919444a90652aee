// Where `npm run build:cli` writes the bundled `winnow` command, and whether it is still fresh: built
// after every source file it was built from was last changed. A stale or missing bundle is never run.
'use strict';
const { readFileSync, stat, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI_BUNDLE = path.join(ROOT, 'dist', 'cli', 'winnow.mjs');
const CLI_BUNDLE_INPUTS = path.join(ROOT, 'dist', 'cli', 'inputs.json');
// The preprocessing worker, bundled beside the command (a worker thread starts from it in ~40% of the CPU that tsx takes
// to compile its sources: preprocess-worker-entry.mjs).
const PREPROCESS_WORKER_BUNDLE = path.join(ROOT, 'dist', 'cli', 'preprocess-worker.mjs');
const PREPROCESS_WORKER_INPUTS = path.join(ROOT, 'dist', 'cli', 'preprocess-worker-inputs.json');

// The inputs are joined by hand: they are clean relative paths from esbuild's metafile, and path.join's
// normalising of ~330 paths, in code still cold, was ~3% of a `winnow search`.
const ROOT_PREFIX = ROOT + path.sep;

/** A bundle's build time and the sources it was built from (listed in `inputsFile`), or null when it was not built. */
function builtFrom(bundle, inputsFile) {
  try {
    return { built: statSync(bundle).mtimeMs, inputs: JSON.parse(readFileSync(inputsFile, 'utf8')) };
  } catch {
    return null;
  }
}

/** `bundle` when it exists and no file listed in `inputsFile` (relative to the checkout) changed since it was built, else null. */
function freshBundle(bundle, inputsFile) {
  if (process.env.WINNOW_CLI_BUNDLE === '0') return null;
  const from = builtFrom(bundle, inputsFile);
  if (!from) return null;
  try {
    for (const input of from.inputs) if (statSync(ROOT_PREFIX + input).mtimeMs > from.built) return null;
    return bundle;
  } catch {
    return null; // an input was removed
  }
}

/** The bundle's path when it exists and no input changed since it was built, else null. */
function freshCliBundle() {
  return freshBundle(CLI_BUNDLE, CLI_BUNDLE_INPUTS);
}

/** The same rule for the preprocessing worker's bundle (preprocess-worker-entry.mjs); WINNOW_CLI_BUNDLE=0 refuses it too. */
function freshPreprocessWorkerBundle() {
  return freshBundle(PREPROCESS_WORKER_BUNDLE, PREPROCESS_WORKER_INPUTS);
}

/**
 * freshCliBundle's answer, from stats that run on libuv's threads: bin/winnow.cjs compiles the bundle on the main
 * thread meanwhile, and runs it only once this says it is fresh. The ~330 stats took the main thread ~7-9 ms.
 */
function freshCliBundleAsync() {
  if (process.env.WINNOW_CLI_BUNDLE === '0') return Promise.resolve(null);
  const from = builtFrom(CLI_BUNDLE, CLI_BUNDLE_INPUTS);
  if (!from) return Promise.resolve(null);
  return new Promise((resolve) => {
    let left = from.inputs.length;
    let fresh = true;
    if (left === 0) resolve(CLI_BUNDLE);
    for (const input of from.inputs) {
      stat(ROOT_PREFIX + input, (err, st) => {
        if (err || st.mtimeMs > from.built) fresh = false; // changed, or removed
        if (--left === 0) resolve(fresh ? CLI_BUNDLE : null);
      });
    }
  });
}

module.exports = {
  CLI_BUNDLE,
  CLI_BUNDLE_INPUTS,
  freshCliBundle,
  freshCliBundleAsync,
  PREPROCESS_WORKER_BUNDLE,
  PREPROCESS_WORKER_INPUTS,
  freshPreprocessWorkerBundle,
};
