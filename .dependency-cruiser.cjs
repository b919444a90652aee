// Layers point one way: domain <- engine <- api <- transports (server, app, preload), CLI and renderer.
// `npm run lint:layers` (part of `npm test`) fails on any import that points the other way.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'main/domain holds types, errors and codecs: no other layer, no I/O.',
      severity: 'error',
      from: { path: '^main/domain/' },
      to: { pathNot: ['^main/domain/', 'node_modules/zod/'] },
    },
    {
      name: 'engine-points-down',
      comment: 'The engine uses the domain and libraries only: never the api, a transport, the CLI, the renderer or the synthetic generator.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: ['^main/(api|server|cli|app|synthetic|cluster)/', '^renderer/', '^preload/', '^test/', '^bench/'] },
    },
    {
      name: 'engine-never-imports-electron',
      comment: 'The engine runs in a utility process, the CLI and the server alike.',
      severity: 'error',
      from: { path: '^main/engine/' },
      to: { path: '^electron$|node_modules/electron/' },
    },
    {
      name: 'queue-is-a-transport',
      comment: 'The BullMQ queue layer (main/cluster) runs engine shard jobs; it never reaches into the api, other transports or front ends.',
      severity: 'error',
      from: { path: '^main/cluster/' },
      to: { path: ['^main/(api|server|cli|app|synthetic)/', '^renderer/', '^preload/'] },
    },
    {
      name: 'api-below-transports',
      comment: 'The contract and handlers know the engine, never the transports or front ends over them.',
      severity: 'error',
      from: { path: '^main/api/' },
      to: { path: ['^main/(server|cli|app|synthetic)/', '^renderer/', '^preload/'] },
    },
    {
      name: 'transports-do-not-cross',
      comment: 'The HTTP/WS server and the Electron shell are siblings over the api.',
      severity: 'error',
      from: { path: '^main/server/' },
      to: { path: ['^main/(app|cli)/', '^renderer/src/'] },
    },
    {
      name: 'renderer-through-the-contract',
      comment: 'The renderer reaches the engine only through the typed API (types and zod-free constants of main/api and main/domain).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: ['^main/(engine|server|cli|app|synthetic)/', '^preload/'] },
    },
    {
      name: 'preload-is-a-bridge',
      severity: 'error',
      from: { path: '^preload/' },
      to: { path: ['^main/(engine|server|cli|synthetic)/', '^renderer/'] },
    },
    {
      name: 'generator-is-test-data',
      comment: 'The synthetic-data generator builds test and demo data from the domain; it never drives the engine.',
      severity: 'error',
      from: { path: '^main/synthetic/' },
      to: { path: ['^main/(engine|api|server|cli|app)/', '^renderer/'] },
    },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      from: { path: '^(main|renderer|preload)/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
