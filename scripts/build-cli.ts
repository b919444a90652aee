// `npm run build:cli`: bundles the `winnow` command into dist/cli/winnow.mjs, so a command starts by
// parsing one file instead of compiling and resolving ~300 TypeScript modules through tsx (1.3–1.7 s of
// a 3 s `winnow search`). bin/winnow.cjs runs the bundle while it is fresh (see cli-bundle.cjs) and tsx
// otherwise, so a checkout that never built it behaves the same, only slower to start. It also writes the
// fast-start bundle dist/cli/winnow.cjs and its V8 code cache for this node (bin/cli-fast-start.cjs).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { APP_ROOT } from '../main/engine/paths';
import { CLI_BUNDLE, CLI_BUNDLE_INPUTS, PREPROCESS_WORKER_BUNDLE, PREPROCESS_WORKER_INPUTS } from '../bin/cli-bundle.cjs';
import { buildCodeCache, CLI_FAST_BUNDLE } from '../bin/cli-fast-start.cjs';

/** Native modules load from node_modules; build tools and Electron are only imported by commands that need them. */
const EXTERNAL = ['better-sqlite3', 'sharp', 'onnxruntime-node', 'usearch', 'electron', 'vite', 'esbuild', 'tsx', 'playwright-core'];

/**
 * npm packages bundled in rather than loaded from node_modules: pure ES modules whose many files cost more to
 * resolve and parse one by one than their used part costs inside the bundle (zod: ~60 files, its locales
 * tree-shaken away). CommonJS packages stay external (see `packages` below).
 */
const BUNDLED_PACKAGES = ['zod'];

/** Every other bare import (an npm package) loads from node_modules as Node loads it. */
const packagesExternal: Plugin = {
  name: 'packages-external',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || BUNDLED_PACKAGES.some((p) => args.path === p || args.path.startsWith(`${p}/`))) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * Sources find files beside themselves through `import.meta.url` (models/, the preprocessing worker entry,
 * createRequire). In the bundle every module would share the bundle's URL, so each source's
 * `import.meta.url` is rewritten to its own file's URL, computed relative to the bundle (the checkout can move).
 */
const ownImportMetaUrl = (format: 'esm' | 'cjs'): Plugin => ({
  name: 'own-import-meta-url',
  setup(b) {
    // Plain .mjs sources too (the ingest read worker's file is bundled into commands as well as run as a worker).
    b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const loader = /\.[cm]?ts$/.test(args.path) ? 'ts' : 'js';
      if (!source.includes('import.meta.url')) return { contents: source, loader };
      const fromBundle = path.relative(path.dirname(CLI_BUNDLE), args.path).split(path.sep).join('/');
      // A CommonJS file has no import.meta: __winnowUrl (the fast bundle's banner) resolves from __dirname.
      const own = format === 'esm' ? `new URL(${JSON.stringify(fromBundle)}, import.meta.url).href` : `__winnowUrl(${JSON.stringify(fromBundle)})`;
      return { contents: ownUrlSource(source, own), loader };
    });
  },
});

/**
 * Rewrites `import.meta.url` expressions, not the quoted text: electron.config.ts names it as an esbuild `define`
 * key ('import.meta.url'), and rewriting that key broke `winnow start`'s app build from the bundled CLI.
 */
export function ownUrlSource(source: string, own: string): string {
  return source.replace(/(?<!['"`])\bimport\.meta\.url\b(?!['"`])/g, own);
}

/** An ES-module bundle's require() (see buildCli). */
const ESM_REQUIRE = "import { createRequire as __winnowCreateRequire } from 'node:module'; const require = __winnowCreateRequire(import.meta.url);";

/** What both bundles share: Node 20, externals, npm packages from node_modules, less text for V8 to read. */
const COMMON: BuildOptions = {
  absWorkingDir: APP_ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // Identifiers keep their names (error names, stack traces).
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

/**
 * The fast-start bundle: every command in one CommonJS file, which vm.Script can compile with a code cache (an
 * ES module cannot be, in Node 20). The one module with top-level await, the desktop app's build step
 * (`winnow start` from a checkout), cannot be CommonJS: it is imported from the ES-module bundle's chunk.
 */
async function buildFastBundle(esm: Metafile): Promise<void> {
  const chunkOf = (entry: string) => {
    const out = Object.entries(esm.outputs).find(([, o]) => o.entryPoint === entry)?.[0];
    if (!out) throw new Error(`no chunk for ${entry} in the ES-module bundle`);
    return `./${path.basename(out)}`;
  };
  const esOnly: Plugin = {
    name: 'es-only-chunks',
    setup(b) {
      b.onResolve({ filter: /scripts\/build-app$/ }, () => ({ path: chunkOf('scripts/build-app.ts'), external: true }));
    },
  };
  const { outputFiles } = await build({
    ...COMMON,
    entryPoints: ['main/cli/index.ts'],
    outfile: CLI_FAST_BUNDLE,
    format: 'cjs',
    banner: { js: "const __winnowUrl = (rel) => require('node:url').pathToFileURL(require('node:path').resolve(__dirname, rel)).href;" },
    plugins: [esOnly, packagesExternal, ownImportMetaUrl('cjs')],
    write: false,
  });
  // import() in a vm.Script needs Node's still experimental USE_MAIN_CONTEXT_DEFAULT_LOADER (a warning on
  // stderr at every use): each import("…") left in the bundle (externals, the chunk above) goes through
  // __winnowImport, the launcher's own import() (bin/cli-fast-start.cjs).
  const text = outputFiles[0].text.replace(/(?<![\w$.])import\((?=")/g, '__winnowImport(');
  // An import() of a computed name would throw in the vm.Script: refuse to build rather than ship that
  // (`import(x){` is a method named import).
  const computed = text.match(/(?<![\w$.])import\((?!")[^)]*\)(?!\{)/);
  if (computed) throw new Error(`the fast-start bundle cannot serve ${computed[0]}: import() a string literal in the CLI's code`);
  // bin/cli-fast-start.cjs reads the bundle as latin1 (no UTF-8 decoding): esbuild's default ASCII charset makes it so.
  if (/[^\x00-\x7f]/.test(text)) throw new Error('the fast-start bundle is not ASCII: bin/cli-fast-start.cjs reads it as latin1');
  writeFileSync(CLI_FAST_BUNDLE, text);
  buildCodeCache(CLI_FAST_BUNDLE);
}

export async function buildCli(): Promise<void> {
  rmSync(path.dirname(CLI_BUNDLE), { recursive: true, force: true });
  const result = await build({
    ...COMMON,
    entryPoints: { [path.basename(CLI_BUNDLE, '.mjs')]: 'main/cli/index.ts' },
    outdir: path.dirname(CLI_BUNDLE),
    outExtension: { '.js': '.mjs' },
    // Commands and heavy libraries imported with import() become chunks loaded only by the commands that need them.
    splitting: true,
    // Chunks sit beside the entry: the import.meta.url rewrite above is relative to that one folder.
    chunkNames: '[name]-[hash]',
    format: 'esm',
    // npm packages load from node_modules as Node loads them (packagesExternal; BUNDLED_PACKAGES excepted).
    // Bundled, a CommonJS package reached through import() in a split chunk came back as a namespace holding
    // only `default` (undici's request, tar-stream's extract were undefined).
    // CommonJS dependencies bundled into an ES module still call require() for Node built-ins and externals.
    banner: { js: ESM_REQUIRE },
    plugins: [packagesExternal, ownImportMetaUrl('esm')],
    metafile: true,
    sourcemap: 'linked',
  });
  await buildFastBundle(result.metafile);
  writeFileSync(CLI_BUNDLE_INPUTS, JSON.stringify(bundleInputs(result.metafile)));
  await buildPreprocessWorker();
}

/** The sources a bundle was built from (not node_modules: a reinstall touches package-lock.json, which is listed too). */
function bundleInputs(metafile: Metafile): string[] {
  return Object.keys(metafile.inputs).filter((p) => !p.includes('node_modules/')).concat('package-lock.json', 'package.json');
}

/**
 * The preprocessing worker as one ES module beside the command: preprocess-worker-entry.mjs loads it while it is
 * fresh (the CLI's own rule, bin/cli-bundle.cjs) instead of compiling its TypeScript sources through tsx in every
 * worker the pool starts, which cost each worker more CPU than the bundle's whole start (sharp included).
 */
async function buildPreprocessWorker(): Promise<void> {
  const { metafile } = await build({
    ...COMMON,
    entryPoints: ['main/engine/vision/preprocess-worker.ts'],
    outfile: PREPROCESS_WORKER_BUNDLE,
    format: 'esm',
    banner: { js: ESM_REQUIRE },
    plugins: [packagesExternal, ownImportMetaUrl('esm')],
    metafile: true,
  });
  writeFileSync(PREPROCESS_WORKER_INPUTS, JSON.stringify(bundleInputs(metafile)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await buildCli();
  console.log(`built ${path.relative(APP_ROOT, CLI_BUNDLE)}`);
}
