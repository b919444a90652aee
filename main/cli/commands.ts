import path from 'node:path';
import type { JobT } from '../api/contract';
import { Engine } from '../engine/engine';
import { runDoctor } from './doctor';
import { gpuInstall } from './gpu';
import { modelsCommand } from './models';
import { ProgressBar } from './progress-bar';
import { projectDir } from './project-arg';
import { serveBrowserMode } from './browser-mode';
import { startApp } from './start';
import { selectCommand, statsCommand } from './curate';
import { dedupCommand, searchCommand } from './similarity';
import { conceptsCommand, labelCommand, scoreCommand } from './labels';
import { downloadCommand, exportCommand } from './export';
import { detectCommand } from './detect';

export interface CommandContext {
  args: string[];
  values: { project?: string; name?: string; rules?: string; force?: boolean; model?: string; port?: string; 'no-open'?: boolean; json?: boolean; dtype?: string; id?: string; format?: string; out?: string; selection?: string; opt?: string[]; classes?: string; templates?: string; multi?: boolean; k?: string; threshold?: string; prompts?: string; semantic?: boolean; policy?: string; method?: string };
  /** Human text, or the JSON value with --json. */
  print(human: string, json: unknown): void;
}

/** Exit code; -1 keeps the process alive (a server). */
type Command = (ctx: CommandContext) => Promise<number>;

function requireProjectDir(ctx: CommandContext): string {
  const dir = projectDir(ctx.values.project);
  if (!dir) throw new Error('no project: pass --project DIR, set WINNOW_PROJECT, or run inside a project folder (see `winnow init`)');
  return dir;
}

/** Runs jobs to completion with a progress bar; Ctrl-C stops cleanly and leaves them resumable. */
async function followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]> {
  const bar = ctx.values.json ? null : new ProgressBar();
  const off = engine.events.on('job.progress', (job) => bar?.update(job));
  const stop = () => {
    process.stderr.write('\nstopping; run `winnow resume` to continue\n');
    void engine.close();
  };
  process.once('SIGINT', stop);
  try {
    await engine.requireProject().jobs.idle();
    return engine.requireProject().jobs.list();
  } finally {
    off();
    process.off('SIGINT', stop);
  }
}

export const commands: Record<string, Command> = {
  async init(ctx) {
    const dir = ctx.args[0];
    if (!dir) throw new Error('usage: winnow init DIR [--name NAME]');
    const engine = new Engine('cli');
    const info = (await engine.createProject(dir, ctx.values.name)).info();
    await engine.close();
    ctx.print(`Created project "${info.name}" in ${info.dir}`, info);
    return 0;
  },

  async import(ctx) {
    const target = ctx.args[0];
    if (!target) throw new Error('usage: winnow import PATH [--project DIR]');
    const engine = new Engine('cli');
    await engine.openProject(requireProjectDir(ctx), { resume: false });
    const { source, jobId } = await engine.addSource(path.resolve(target));
    const jobs = await followJobs(engine, ctx);
    const project = engine.project;
    const job = jobs.find((j) => j.id === jobId);
    const result = { source: project?.sources.get(source.id) ?? source, job };
    await engine.close();
    ctx.print(`${result.source.itemCount} items from ${result.source.name}; ${result.source.issueCount} issues${job?.state !== 'done' ? ` (job ${job?.state})` : ''}`, result);
    return job?.state === 'done' ? 0 : 1;
  },

  async embed(ctx) {
    const engine = new Engine('cli');
    await engine.openProject(requireProjectDir(ctx), { resume: false });
    const status = await engine.visionStatus(ctx.values.model);
    const failed = status.attempts.filter((a) => !a.ok).map((a) => `${a.provider} unavailable: ${a.reason}`);
    if (!ctx.values.json) process.stderr.write(`${[...failed, `model ${status.model} (${status.dim}-d) on ${status.provider}`].join('\n')}\n`);
    const jobId = engine.embed(status.model);
    const jobs = await followJobs(engine, ctx);
    const job = jobs.find((j) => j.id === jobId);
    const sets = engine.project?.embeddings.listSets() ?? [];
    await engine.close();
    const set = sets.find((s) => s.model === status.model);
    ctx.print(`${set?.images ?? 0} images and ${set?.texts ?? 0} distinct captions embedded with ${status.model} on ${status.provider}${job?.state !== 'done' ? ` (job ${job?.state})` : ''}`, { status, job, set });
    return job?.state === 'done' ? 0 : 1;
  },

  async resume(ctx) {
    const engine = new Engine('cli');
    const project = await engine.openProject(requireProjectDir(ctx), { resume: true });
    const jobs = await followJobs(engine, ctx);
    await engine.close();
    ctx.print(jobs.slice(0, 10).map((j) => `#${j.id} ${j.title}: ${j.state} ${j.done}/${j.total ?? '?'}`).join('\n') || 'no jobs', { project: project.dir, jobs });
    return jobs.some((j) => j.state === 'failed') ? 1 : 0;
  },

  async status(ctx) {
    const engine = new Engine('cli');
    const project = await engine.openProject(requireProjectDir(ctx), { resume: false });
    const info = project.info();
    const sources = project.sources.list();
    const jobs = project.jobs.list().slice(0, 10);
    await engine.close();
    const human = [
      `${info.name} (${info.dir})`,
      `${info.itemCount} items, ${info.sourceCount} sources, ${info.issueCount} issues`,
      ...sources.map((s) => `  source #${s.id} ${s.kind} ${s.path}: ${s.itemCount} items, ${s.issueCount} issues`),
      ...jobs.map((j) => `  job #${j.id} ${j.title}: ${j.state} ${j.done}/${j.total ?? '?'}${j.error ? ` (${j.error})` : ''}`),
    ].join('\n');
    ctx.print(human, { ...info, sources, jobs });
    return 0;
  },

  async serve(ctx) {
    const engine = new Engine('browser');
    const dir = projectDir(ctx.values.project);
    if (dir) await engine.openProject(dir);
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
  stats: (ctx) => statsCommand(ctx, { requireProjectDir, followJobs }),
  select: (ctx) => selectCommand(ctx, { requireProjectDir, followJobs }),
  // Semantic near-duplicates and search (main/cli/similarity.ts).
  dedup: (ctx) => dedupCommand(ctx, { requireProjectDir, followJobs }),
  search: (ctx) => searchCommand(ctx, { requireProjectDir, followJobs }),

  // Embedding-based signals: zero-shot labels, pair scores, concept scores (main/cli/labels.ts).
  label: (ctx) => labelCommand(ctx, { requireProjectDir, followJobs }),
  adapt: (ctx) => import('./adapt').then((m) => m.adaptCommand(ctx, { requireProjectDir, followJobs })),
  score: (ctx) => scoreCommand(ctx, { requireProjectDir, followJobs }),
  concepts: (ctx) => conceptsCommand(ctx, { requireProjectDir, followJobs }),
  // Zero-shot detection / segmentation proposals (main/cli/detect.ts).
  detect: (ctx) => detectCommand(ctx, { requireProjectDir, followJobs }),

  // Formats: export a selection, download URL-only items (main/cli/export.ts).
  export: (ctx) => exportCommand(ctx, { requireProjectDir, followJobs }),
  download: (ctx) => downloadCommand(ctx, { requireProjectDir, followJobs }),

  async gpu(ctx) {
    if (ctx.args[0] !== 'install') throw new Error('usage: winnow gpu install');
    return gpuInstall();
  },
};
