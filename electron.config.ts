// How the desktop app is built (main, ML host, preload, renderer) and packaged (electron-builder).
import type { BuildOptions } from 'esbuild';

const shared: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: true,
  // Native modules load from node_modules (unpacked from the asar), never from the bundle.
  external: ['electron', 'better-sqlite3', 'sharp', 'onnxruntime-node', 'usearch', 'vite'],
  // The engine is ESM; in the CJS bundle import.meta.url and the app root come from the bundle's own location.
  define: { 'import.meta.url': '__winnowImportMetaUrl' },
  banner: { js: "const __winnowImportMetaUrl = require('node:url').pathToFileURL(__filename).href; process.env.WINNOW_APP_ROOT ??= require('node:path').join(__dirname, '..', '..', '..');" },
  logLevel: 'warning',
};

export const appBuild = {
  outDir: 'dist',
  bundles: [
    { ...shared, entryPoints: ['main/app/main.ts'], outfile: 'dist/main/app/main.cjs' },
    { ...shared, entryPoints: ['main/app/ml-host-entry.ts'], outfile: 'dist/main/app/ml-host.cjs' },
    // Preprocessing workers: the pool starts preprocess-worker-entry.mjs beside the bundle, which loads this ESM build.
    { ...shared, entryPoints: ['main/engine/vision/preprocess-worker.ts'], outfile: 'dist/main/app/preprocess-worker.js', format: 'esm', banner: undefined, define: undefined },
    // The preload runs sandboxed: one self-contained file, electron as the only import.
    { ...shared, entryPoints: ['preload/index.ts'], outfile: 'dist/main/app/preload.cjs', platform: 'browser', external: ['electron'], banner: undefined, define: undefined },
  ] satisfies BuildOptions[],
  /** Plain files copied beside the bundles. */
  copies: [
    ['main/engine/vision/preprocess-worker-entry.mjs', 'dist/main/app/preprocess-worker-entry.mjs'],
    // The import's read worker (ingest/file-reads.ts) is plain JavaScript, started from beside the bundle.
    ['main/engine/ingest/read-files.mjs', 'dist/main/app/read-files.mjs'],
  ] as [string, string][],
  rendererConfig: 'renderer/vite.config.ts',
};

export const packaging = {
  appId: 'dev.winnow.app',
  productName: 'Winnow',
  directories: { output: 'out' },
  files: ['dist/**/*', 'models/**/*', 'package.json', '!**/*.map'],
  asar: true,
  // Native libraries cannot be loaded from inside an asar archive.
  asarUnpack: ['**/node_modules/onnxruntime-node/**', '**/node_modules/sharp/**', '**/node_modules/@img/**', '**/node_modules/better-sqlite3/**', '**/node_modules/usearch/**'],
  // better-sqlite3 is not N-API: electron-builder rebuilds it against Electron's ABI when packaging (never during npm ci).
  npmRebuild: true,
  // Electron fuses, flipped in the packaged binary: it cannot be reused as a plain Node (ELECTRON_RUN_AS_NODE), take
  // NODE_OPTIONS or --inspect from whoever starts it, or load app code from anywhere but its integrity-checked app.asar.
  electronFuses: {
    runAsNode: false,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    enableCookieEncryption: true,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Graphics' },
  mac: { target: ['dmg'], category: 'public.app-category.graphics-design' },
  win: { target: ['nsis'] },
} as const;
