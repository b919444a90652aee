// The fast start of the bundled `winnow` command: one CommonJS file (dist/cli/winnow.cjs, all commands,
// each command's modules initialised only when it runs) compiled through vm.Script with a V8 code cache that
// `npm run build:cli` wrote with this machine's node. Measured on `winnow search` (load ~12, 2 cores): ~0.12
// CPU-s less than the split ES-module bundle from the single CommonJS file alone (probably because esbuild's
// CommonJS output initialises only the modules a command reaches, while each ES chunk evaluates every module it
// holds), ~0.05 more from the code cache (V8 deserialises compiled functions instead of compiling them).
// A V8 startup snapshot (node --snapshot-blob) was ruled out: a process cannot load one after it started, so
// `node bin/winnow.cjs` would have to start a second node (~0.1 CPU-s), about all that remains to save.
// Anything missing or not matching falls back silently: no bundle → the caller runs the ES-module bundle; a
// cache for another bundle or node → compiled without it (V8 checks the node/V8 version and flags itself, and
// the file name carries the bundle file's modification time and size, since V8 only checks the source's length).
'use strict';
const { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const CLI_FAST_BUNDLE = path.resolve(__dirname, '..', 'dist', 'cli', 'winnow.cjs');

/** Says how `winnow` started (WINNOW_CLI_START_TRACE=1: tests read it). */
function traceStart(how) {
  if (process.env.WINNOW_CLI_START_TRACE === '1') console.error(`winnow start: ${how}`);
}

/**
 * The code cache of this bundle file as written for this node: another node binary, or the bundle written again
 * (a rebuild, an edit), never finds it. Named by the file's modification time (ns) and size, not a hash of its
 * text: hashing the 1.45 MB text cost every start ~6 ms, and every write of the file changes its time. A copy that
 * does not keep the time to the nanosecond (tar, for one) finds no cache and compiles the bundle from source.
 */
function codeCachePath(bundle) {
  const { mtimeNs, size } = statSync(bundle, { bigint: true });
  return `${bundle}.${mtimeNs.toString(36)}-${size.toString(36)}.${process.version}-${process.arch}.v8cache`;
}

/** The bundle compiled as Node compiles a CommonJS file, with its code cache when there is one. */
function compile(bundle, source, cachedData) {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname, __winnowImport) {${source}\n})`, { filename: bundle, cachedData });
}

function run(script, bundle) {
  const module = { exports: {}, filename: bundle };
  // The bundle's import()s (scripts/build-cli.ts rewrites them): packages resolve from here as from dist/cli
  // (one node_modules above both), chunks beside the bundle from the bundle's URL.
  const importFromBundle = (spec) => import(spec.startsWith('.') ? new URL(spec, pathToFileURL(bundle)).href : spec);
  script.runInThisContext().call(module.exports, module.exports, createRequire(bundle), module, bundle, path.dirname(bundle), importFromBundle);
}

/**
 * `bundle` read and compiled with its code cache, not run yet: { script, cache } ('accepted' | 'rejected' |
 * 'missing': the code cache), or null when the bundle cannot start this way.
 */
function compileFastBundle(bundle = CLI_FAST_BUNDLE) {
  if (process.env.WINNOW_CLI_FAST_START === '0') return null;
  try {
    // esbuild writes ASCII (it escapes the rest), which latin1 reads as it is, without UTF-8's decoding (~4 ms).
    const source = readFileSync(bundle, 'latin1');
    let cachedData;
    try {
      cachedData = readFileSync(codeCachePath(bundle));
    } catch {
      // not written for this bundle and node: compiled from source
    }
    const script = compile(bundle, source, cachedData);
    return { bundle, script, cache: cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'accepted' };
  } catch {
    return null;
  }
}

/** Runs the `winnow` command (process.argv) from a compiled bundle; says how its code cache served. */
function runFastBundle(compiled) {
  traceStart(`${path.basename(compiled.bundle)}, code cache ${compiled.cache}`);
  run(compiled.script, compiled.bundle);
  return compiled.cache;
}

/**
 * Runs the `winnow` command (process.argv) from `bundle` and says how ('accepted' | 'rejected' | 'missing':
 * the code cache), or returns null without running anything when the bundle cannot start this way.
 * WINNOW_CLI_START_TRACE=1 prints which way it started on stderr (the tests read it).
 */
function startFastBundle(bundle = CLI_FAST_BUNDLE) {
  const compiled = compileFastBundle(bundle);
  return compiled && runFastBundle(compiled);
}

/**
 * Writes `bundle`'s code cache for the node running this (`npm run build:cli` runs it in a child node). The cache
 * holds what a run compiled, so the child first runs `winnow search` on a folder that is not a project: that
 * initialises the modules search and most commands share (zod and every schema, the contract, the project
 * store) and stops at the "not a Winnow project" message, touching nothing.
 */
function writeCodeCache(bundle) {
  const source = readFileSync(bundle, 'latin1');
  const script = compile(bundle, source, undefined);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'winnow-code-cache-'));
  process.argv = [process.argv[0], bundle, 'search', 'warm-up', '--project', path.join(scratch, 'not-a-project')];
  process.on('exit', () => {
    rmSync(scratch, { recursive: true, force: true });
    writeFileSync(codeCachePath(bundle), script.createCachedData());
  });
  run(script, bundle);
}

/** Writes the code cache in a child node: the warm-up run must not share this process's state. */
function buildCodeCache(bundle = CLI_FAST_BUNDLE) {
  // Required here, not imported above: every start imports this file and never builds (node:child_process ~4 ms).
  const { spawnSync } = require('node:child_process');
  const res = spawnSync(process.execPath, [__filename, '--write-code-cache', bundle], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  try {
    readFileSync(codeCachePath(bundle));
  } catch {
    throw new Error(`writing the CLI code cache failed (exit ${res.status}): ${res.stderr}`);
  }
}

module.exports = { CLI_FAST_BUNDLE, traceStart, codeCachePath, compileFastBundle, runFastBundle, startFastBundle, buildCodeCache };

if (process.argv[2] === '--write-code-cache' && require.main === module) writeCodeCache(process.argv[3]);
