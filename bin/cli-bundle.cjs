// Where `npm run build:cli` writes the bundled `winnow` command, and whether it is still fresh: built
// after every source file it was built from was last changed. A stale or missing bundle is never run.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI_BUNDLE = path.join(ROOT, 'dist', 'cli', 'winnow.mjs');
const CLI_BUNDLE_INPUTS = path.join(ROOT, 'dist', 'cli', 'inputs.json');
// The preprocessing worker, bundled beside the command (a worker thread starts from it in ~40% of the CPU that tsx takes
// to compile its sources: preprocess-worker-entry.mjs).
const PREPROCESS_WORKER_BUNDLE = path.join(ROOT, 'dist', 'cli', 'preprocess-worker.mjs');
const PREPROCESS_WORKER_INPUTS = path.join(ROOT, 'dist', 'cli', 'preprocess-worker-inputs.json');

/** The bundle's path when it exists and no input changed since it was built, else null. */
function freshCliBundle() {
  return process.env.WINNOW_CLI_BUNDLE === '0' ? null : freshBundle(CLI_BUNDLE, CLI_BUNDLE_INPUTS);
}

/** The same rule for the preprocessing worker's bundle (preprocess-worker-entry.mjs); WINNOW_CLI_BUNDLE=0 refuses it too. */
function freshPreprocessWorkerBundle() {
  return process.env.WINNOW_CLI_BUNDLE === '0' ? null : freshBundle(PREPROCESS_WORKER_BUNDLE, PREPROCESS_WORKER_INPUTS);
}

/** `bundle` when it exists and no file listed in `inputsFile` (relative to the checkout) changed since it was built, else null. */
function freshBundle(bundle, inputsFile) {
  try {
    const built = statSync(bundle).mtimeMs;
    const inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
    // Joined by hand: the inputs are clean relative paths from esbuild's metafile, and path.join's normalising of
    // ~330 paths, in code still cold, was ~3% of a `winnow search`.
    const root = ROOT + path.sep;
    for (const input of inputs) if (statSync(root + input).mtimeMs > built) return null;
    return bundle;
  } catch {
    return null; // not built, or an input was removed
  }
}

module.exports = { CLI_BUNDLE, CLI_BUNDLE_INPUTS, freshCliBundle, PREPROCESS_WORKER_BUNDLE, PREPROCESS_WORKER_INPUTS, freshPreprocessWorkerBundle };
