// `winnow label`, `winnow score` and `winnow concepts`: the embedding-based signal jobs from the command line.
import { readFile } from 'node:fs/promises';
import type { JobT } from '../api/contract';
import { CONCEPTS_JOB, conceptSignal } from '../engine/curate/concepts-job';
import { LABEL_JOB } from '../engine/curate/label-job';
import { labelCounts, startWithEmbeddings } from '../engine/curate/labels-query';
import { PAIR_JOB, PAIR_SIGNAL } from '../engine/curate/pair-score-job';
import { parseClassList } from '../engine/curate/zero-shot';
import { Engine } from '../engine/engine';
import { labelJobParams } from '../api/handlers-labels';
import type { CommandContext } from './commands';

interface Helpers {
  requireProjectDir(ctx: CommandContext): string;
  followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]>;
}

type Values = CommandContext["values"];

function num(v: string | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${what} must be a number, got "${v}"`);
  return n;
}

/** Templates file: one template per line, `{}` is the class name; '#' lines are comments. */
async function readTemplates(file: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0) throw new Error(`${file} holds no templates`);
  return lines;
}

async function runJob(ctx: CommandContext, h: Helpers, start: (engine: Engine) => number, summary: (engine: Engine, job: JobT) => { human: string; json: unknown }): Promise<number> {
  const engine = new Engine('cli');
  await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const jobId = start(engine);
    const jobs = await h.followJobs(engine, ctx);
    const job = jobs.find((j) => j.id === jobId)!;
    const failed = jobs.find((j) => j.state === 'failed' && j.id <= jobId && j.kind === 'embed');
    if (job.state !== 'done') {
      ctx.print(`${job.title}: ${job.state}${job.error ? `: ${job.error}` : ''}${failed ? ` (embedding failed: ${failed.error})` : ''}`, { job });
      return 1;
    }
    const { human, json } = summary(engine, job);
    ctx.print(human, json);
    return 0;
  } finally {
    await engine.close();
  }
}

export function labelCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const v = ctx.values as Values;
  if ((v as { adapted?: boolean }).adapted) return import('./adapt').then((m) => m.adaptCommand(ctx, h));
  if (!v.classes) throw new Error('usage: winnow label --classes "a,b,c" [--templates FILE] [--multi] [--k N] [--threshold P] [--model ID]');
  const classes = parseClassList(v.classes, { commaSeparated: !v.classes.includes('\n') });
  if (classes.length < 2) throw new Error('--classes needs at least two class names');
  return (async () => {
    const params = labelJobParams({ classes, templates: v.templates ? await readTemplates(v.templates) : undefined, multiLabel: v.multi === true, k: num(v.k, 'k'), threshold: num(v.threshold, 'threshold') });
    const { templates } = params;
    return runJob(ctx, h, (engine) => startWithEmbeddings(engine, v.model, LABEL_JOB, params), (engine, job) => {
      const counts = labelCounts(engine.requireProject().db);
      const pad = Math.max(9, ...counts.labels.map((l) => l.label.length));
      const human = [
        `${counts.scored} items labeled (${counts.run}, ${classes.length} classes, ${templates.length} templates) with ${counts.model}`,
        ...counts.labels.map((l) => `  ${l.label.padEnd(pad)}  ${String(l.count).padStart(7)}`),
        `  ${'uncertain'.padEnd(pad)}  ${String(counts.uncertain).padStart(7)}`,
      ].join('\n');
      return { human, json: { job, counts } };
    });
  })();
}

export function scoreCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  return runJob(ctx, h, (engine) => startWithEmbeddings(engine, ctx.values.model, PAIR_JOB, {}), (engine, job) => {
    const db = engine.requireProject().db;
    const s = db.prepare('SELECT count(*) n, min(value) min, avg(value) mean, max(value) max FROM signals WHERE name = ?').get(PAIR_SIGNAL) as { n: number; min: number | null; mean: number | null; max: number | null };
    const f = (x: number | null) => (x === null ? '-' : x.toFixed(3));
    return { human: `${s.n} image-caption pairs scored (${PAIR_SIGNAL}: min ${f(s.min)}, mean ${f(s.mean)}, max ${f(s.max)}); filter with a "${PAIR_SIGNAL}" signal rule (threshold or keepTop)`, json: { job, signal: PAIR_SIGNAL, ...s } };
  });
}

export function conceptsCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const v = ctx.values as Values;
  const prompts = [...new Set((v.prompts ?? ctx.args.join(',')).split(',').map((p) => p.trim()).filter(Boolean))];
  if (prompts.length === 0) throw new Error('usage: winnow concepts --prompts "a watermark,a screenshot with text" [--model ID]');
  return runJob(ctx, h, (engine) => startWithEmbeddings(engine, v.model, CONCEPTS_JOB, { prompts }), (_engine, job) => {
    const signals = prompts.map(conceptSignal);
    return { human: `${job.done} items scored on ${signals.join(', ')}`, json: { job, signals } };
  });
}
