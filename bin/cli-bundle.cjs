// Where `npm run build:cli` writes the bundled `winnow` command, and whether it is still fresh: built
// after every source file it was built from was last changed. A stale or missing bundle is never run.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLI_BUNDLE = path.join(ROOT, 'dist', 'cli', 'winnow.mjs');
const CLI_BUNDLE_INPUTS = path.join(ROOT, 'dist', 'cli', 'inputs.json');

/** The bundle's path when it exists and no input changed since it was built, else null. */
function freshCliBundle() {
  if (process.env.WINNOW_CLI_BUNDLE === '0') return null;
  try {
    const built = statSync(CLI_BUNDLE).mtimeMs;
    const inputs = JSON.parse(readFileSync(CLI_BUNDLE_INPUTS, 'utf8'));
    // Joined by hand: the inputs are clean relative paths from esbuild's metafile, and path.join's normalising of
    // ~330 paths, in code still cold, was ~3% of a `winnow search`.
    const root = ROOT + path.sep;
    for (const input of inputs) if (statSync(root + input).mtimeMs > built) return null;
    return CLI_BUNDLE;
  } catch {
    return null; // not built, or an input was removed
  }
}

module.exports = { CLI_BUNDLE, CLI_BUNDLE_INPUTS, freshCliBundle };
