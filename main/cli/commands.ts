import path from 'node:path';
import { Engine } from '../engine/engine';
import { runDoctor } from './doctor';
import { gpuInstall } from './gpu';
import { modelsCommand } from './models';
import { projectDir } from './project-arg';
import { openForUi, serveBrowserMode } from './browser-mode';
import { startApp } from './start';
import { selectCommand, statsCommand } from './curate';
import { dedupCommand, searchCommand } from './similarity';
import { conceptsCommand, labelCommand, scoreCommand } from './labels';
import { downloadCommand, exportCommand } from './export';
import { detectCommand } from './detect';
import { adaptCommand } from './adapt';
import { embedCommand, importCommand, initCommand, resumeCommand, statusCommand } from './project-commands';

export interface CommandContext {
  args: string[];
  values: { project?: string; name?: string; rules?: string; force?: boolean; model?: string; port?: string; 'no-open'?: boolean; json?: boolean; dtype?: string; id?: string; format?: string; out?: string; selection?: string; opt?: string[]; classes?: string; templates?: string; multi?: boolean; k?: string; threshold?: string; prompts?: string; semantic?: boolean; policy?: string; method?: string; set?: string[]; reset?: string[] };
  /** Human text, or the JSON value with --json. */
  print(human: string, json: unknown): void;
}

/** Exit code; -1 keeps the process alive (a server). */
type Command = (ctx: CommandContext) => Promise<number>;

export const commands: Record<string, Command> = {
  init: initCommand,
  import: importCommand,
  embed: embedCommand,
  resume: resumeCommand,
  status: statusCommand,

  async serve(ctx) {
    const engine = new Engine('browser');
    const dir = projectDir(ctx.values.project);
    if (dir) await openForUi(engine, dir);
    const server = await serveBrowserMode(engine, { port: ctx.values.port, open: !ctx.values['no-open'] });
    ctx.print(server.url, { url: server.url, port: server.port, token: server.token, project: dir });
    return -1;
  },

  async start(ctx) {
    return startApp(ctx);
  },

  async doctor(ctx) {
    const checks = await runDoctor();
    ctx.print(checks.map((c) => `${c.ok ? '✔' : '✘'} ${c.name}: ${c.detail}${c.advice ? `\n    → ${c.advice}` : ''}`).join('\n'), checks);
    return checks.every((c) => c.ok || c.name === 'electron' || c.name === 'cuda provider') ? 0 : 1;
  },

  models: modelsCommand,

  // Curation: image statistics + duplicates, and rule-list counts (main/cli/curate.ts).
  stats: statsCommand,
  select: selectCommand,
  // Semantic near-duplicates and search (main/cli/similarity.ts).
  dedup: dedupCommand,
  search: searchCommand,

  // Embedding-based signals: zero-shot labels, pair scores, concept scores (main/cli/labels.ts).
  label: labelCommand,
  adapt: adaptCommand,
  score: scoreCommand,
  concepts: conceptsCommand,
  // Zero-shot detection / segmentation proposals (main/cli/detect.ts).
  detect: detectCommand,

  // Formats: export a selection, download URL-only items (main/cli/export.ts).
  export: exportCommand,
  download: downloadCommand,

  async gpu(ctx) {
    if (ctx.args[0] !== 'install') throw new Error('usage: winnow gpu install');
    return gpuInstall();
  },
};
