// Each command's module is imported when that command runs, so `winnow search` never loads the code (and the
// native libraries) of import, export or the desktop app; in the bundled CLI each is its own chunk.
export interface CommandContext {
  args: string[];
  values: { project?: string; name?: string; rules?: string; force?: boolean; model?: string; port?: string; 'no-open'?: boolean; 'no-stages'?: boolean; export?: string; json?: boolean; dtype?: string; id?: string; format?: string; out?: string; selection?: string; opt?: string[]; classes?: string; templates?: string; multi?: boolean; k?: string; threshold?: string; prompts?: string; semantic?: boolean; policy?: string; method?: string;
    plan?: string; shard?: string; shards?: string; queue?: string; concurrency?: string; 'lock-ms'?: string; rate?: string; detach?: boolean; sample?: string; output?: string; set?: string[]; reset?: string[] };
  /** Human text, or the JSON value with --json. */
  print(human: string, json: unknown): void;
}

/** Exit code; -1 keeps the process alive (a server). */
type Command = (ctx: CommandContext) => Promise<number>;

/** A command whose module is imported only when it runs. */
function lazy<M>(load: () => Promise<M>, pick: (m: M) => Command): Command {
  return async (ctx) => pick(await load())(ctx);
}

export const commands: Record<string, Command> = {
  init: lazy(() => import('./project-commands'), (m) => m.initCommand),
  import: lazy(() => import('./project-commands'), (m) => m.importCommand),
  embed: lazy(() => import('./project-commands'), (m) => m.embedCommand),
  resume: lazy(() => import('./project-commands'), (m) => m.resumeCommand),
  status: lazy(() => import('./project-commands'), (m) => m.statusCommand),

  async serve(ctx) {
    const [{ Engine }, { projectDir }, { openForUi, serveBrowserMode }] = await Promise.all([import('../engine/engine'), import('./project-arg'), import('./browser-mode')]);
    const engine = new Engine('browser');
    const dir = projectDir(ctx.values.project);
    if (dir) await openForUi(engine, dir);
    const server = await serveBrowserMode(engine, { port: ctx.values.port, open: !ctx.values['no-open'] });
    ctx.print(server.url, { url: server.url, port: server.port, token: server.token, project: dir });
    return -1;
  },

  start: lazy(() => import('./start'), (m) => m.startApp),

  async doctor(ctx) {
    const { runDoctor } = await import('./doctor');
    const checks = await runDoctor();
    ctx.print(checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}${c.advice ? `\n    → ${c.advice}` : ''}`).join('\n'), checks);
    return checks.every((c) => c.ok || c.name === 'electron' || c.name === 'cuda provider') ? 0 : 1;
  },

  models: lazy(() => import('./models'), (m) => m.modelsCommand),

  // Curation: image statistics + duplicates, and rule-list counts (main/cli/curate.ts).
  stats: lazy(() => import('./curate'), (m) => m.statsCommand),
  select: lazy(() => import('./curate'), (m) => m.selectCommand),
  // Semantic near-duplicates (main/cli/similarity.ts) and search (main/cli/search.ts).
  dedup: lazy(() => import('./similarity'), (m) => m.dedupCommand),
  search: lazy(() => import('./search'), (m) => m.searchCommand),
  // Saved views made in the app (main/cli/views.ts).
  views: lazy(() => import('./views'), (m) => m.viewsCommand),

  // Embedding-based signals: zero-shot labels, pair scores, concept scores (main/cli/labels.ts).
  label: lazy(() => import('./labels'), (m) => m.labelCommand),
  adapt: lazy(() => import('./adapt'), (m) => m.adaptCommand),
  score: lazy(() => import('./labels'), (m) => m.scoreCommand),
  concepts: lazy(() => import('./labels'), (m) => m.conceptsCommand),
  // Zero-shot detection / segmentation proposals (main/cli/detect.ts).
  detect: lazy(() => import('./detect'), (m) => m.detectCommand),

  // Decisions by hand: manual keep/exclude and tags (main/cli/decide.ts).
  decide: lazy(() => import('./decide'), (m) => m.decideCommand),
  tag: lazy(() => import('./decide'), (m) => m.tagCommand),

  // Formats: export a selection, download URL-only items (main/cli/export.ts).
  export: lazy(() => import('./export'), (m) => m.exportCommand),
  download: lazy(() => import('./export'), (m) => m.downloadCommand),

  // Scale-out: one shard anywhere, the merge, queue workers and cluster runs (main/cli/scale.ts).
  plan: lazy(() => import('./scale'), (m) => m.planCommand),
  'run-shard': lazy(() => import('./scale'), (m) => m.runShardCommand),
  merge: lazy(() => import('./scale'), (m) => m.mergeCommand),
  'export-shard': lazy(() => import('./scale'), (m) => m.exportShardCommand),
  worker: lazy(() => import('./scale'), (m) => m.workerCommand),
  cluster: lazy(() => import('./scale'), (m) => m.clusterCommand),

  async gpu(ctx) {
    if (ctx.args[0] !== 'install') throw new Error('usage: winnow gpu install');
    const { gpuInstall } = await import('./gpu');
    return gpuInstall();
  },
};
