// `winnow label`, `winnow score` and `winnow concepts`: the embedding-based signal jobs, through the contract.
import { readFile } from 'node:fs/promises';
import { PAIR_SIGNAL } from '../engine/curate/pair-score-job';
import { parseClassList } from '../engine/curate/zero-shot';
import type { ApiClient } from '../api/client';
import type { JobT } from '../api/contract';
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { numberOption } from './number-option';
import { withSession } from './with-session';
import { adaptCommand } from './adapt';

/** Templates file: one template per line, `{}` is the class name; '#' lines are comments. */
async function readTemplates(file: string): Promise<string[]> {
  const lines = (await readFile(file, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0) throw new Error(`${file} holds no templates`);
  return lines;
}

/** Starts a signal job (the API queues embedding first when needed), follows it, then prints its summary. */
function runJob(ctx: CommandContext, command: string, start: (client: ApiClient) => Promise<number>, summary: (client: ApiClient, job: JobT) => Promise<{ human: string; json: unknown }>): Promise<number> {
  return withSession(ctx, command, async (session) => {
    const job = await followJob(session, await start(session.client), ctx);
    if (job.state !== 'done') {
      ctx.print(jobFailure(job), { job });
      return 1;
    }
    const { human, json } = await summary(session.client, job);
    // Labels and scores from a model that does not know these images are not to be trusted: say so.
    const fit = await session.client.call('models.fit', ctx.values.model ? { model: ctx.values.model } : {});
    if (fit.verdict === 'outside' && !ctx.values.json) process.stderr.write(`warning: ${fit.message}\n`);
    ctx.print(human, json);
    return 0;
  });
}

export async function labelCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  if ((v as { adapted?: boolean }).adapted) return adaptCommand(ctx);
  if (!v.classes) throw new Error('usage: winnow label --classes "a,b,c" [--templates FILE] [--multi] [--k N] [--threshold P] [--model ID]');
  const classes = parseClassList(v.classes, { commaSeparated: !v.classes.includes('\n') });
  if (classes.length < 2) throw new Error('--classes needs at least two class names');
  const templates = v.templates ? await readTemplates(v.templates) : undefined;
  const k = numberOption(v.k, 'k');
  const threshold = numberOption(v.threshold, 'threshold');
  return runJob(ctx, 'label',
    async (client) => (await client.call('labels.run', {
      classes, multiLabel: v.multi === true, ...(templates && { templates }), ...(k !== undefined && { k }), ...(threshold !== undefined && { threshold }), ...(v.model && { model: v.model }),
    })).jobId,
    async (client, job) => {
      const counts = await client.call('labels.counts', {});
      const pad = Math.max(9, ...counts.labels.map((l) => l.label.length));
      const human = [
        `${counts.scored} items labeled (${counts.run}, ${classes.length} classes) with ${counts.model}`,
        ...counts.labels.map((l) => `  ${l.label.padEnd(pad)}  ${String(l.count).padStart(7)}`),
        `  ${'uncertain'.padEnd(pad)}  ${String(counts.uncertain).padStart(7)}`,
      ].join('\n');
      return { human, json: { job, counts } };
    });
}

export function scoreCommand(ctx: CommandContext): Promise<number> {
  return runJob(ctx, 'score',
    async (client) => (await client.call('pairscore.run', ctx.values.model ? { model: ctx.values.model } : {})).jobId,
    async (client, job) => {
      const s = (await client.call('signals.list', {})).find((x) => x.name === PAIR_SIGNAL);
      const f = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(3));
      return { human: `${s?.count ?? 0} image-caption pairs scored with ${s?.model ?? 'no model'} (${PAIR_SIGNAL}: min ${f(s?.min)}, max ${f(s?.max)}); filter with a "${PAIR_SIGNAL}" signal rule (threshold or keepTop)`, json: { job, signal: PAIR_SIGNAL, model: s?.model ?? null, n: s?.count ?? 0, min: s?.min ?? null, max: s?.max ?? null } };
    });
}

export function conceptsCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values;
  const prompts = [...new Set((v.prompts ?? ctx.args.join(',')).split(',').map((p) => p.trim()).filter(Boolean))];
  if (prompts.length === 0) throw new Error('usage: winnow concepts --prompts "a watermark,a screenshot with text" [--model ID]');
  let signals: string[] = [];
  return runJob(ctx, 'concepts',
    async (client) => {
      const started = await client.call('concepts.run', { prompts, ...(v.model && { model: v.model }) });
      signals = started.signals;
      return started.jobId;
    },
    async (_client, job) => ({ human: `${job.done} items scored on ${signals.join(', ')}`, json: { job, signals } }));
}
