// `winnow stats` and `winnow select`: the curation engine from the command line.
import { readFile } from 'node:fs/promises';
import type { JobT } from '../api/contract';
import { RuleList } from '../api/methods/curation';
import { evaluateRules } from '../engine/curate/evaluate';
import { defaultRules } from '../engine/curate/rules';
import { SelectionStore } from '../engine/curate/selection';
import { STATS_JOB } from '../engine/curate/stats-job';
import { Engine } from '../engine/engine';
import type { CommandContext } from './commands';

interface Helpers {
  requireProjectDir(ctx: CommandContext): string;
  followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]>;
}

export async function statsCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const engine = new Engine('cli');
  const project = await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  const job = project.jobs.start(STATS_JOB, { force: ctx.values.force === true });
  const jobs = await h.followJobs(engine, ctx);
  const final = jobs.find((j) => j.id === job.id) ?? job;
  const groups = (name: string) => project.db.prepare('SELECT count(DISTINCT value) FROM signals WHERE name = ?').pluck().get(name) as number;
  const result = final.state === 'done' ? { job: final, exactGroups: groups('dup.exact'), phashGroups: groups('dup.phash') } : { job: final };
  await engine.close();
  ctx.print(
    final.state === 'done'
      ? `${final.done} items measured; ${'exactGroups' in result ? `${result.exactGroups} exact and ${result.phashGroups} perceptual duplicate groups` : ''}`
      : `stats job ${final.state}${final.error ? `: ${final.error}` : ''}`,
    result,
  );
  return final.state === 'done' ? 0 : 1;
}

export async function selectCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const engine = new Engine('cli');
  const project = await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const rules = ctx.values.rules
      ? RuleList.parse(JSON.parse(await readFile(ctx.values.rules, 'utf8')))
      : ctx.values.name
        ? new SelectionStore(project.db).get(ctx.values.name).rules
        : defaultRules();
    const ev = evaluateRules(project.db, rules);
    const pad = Math.max(...rules.map((r) => r.id.length), 4);
    const human = [
      `${ev.kept} kept, ${ev.removed} removed of ${ev.total}`,
      `  ${'rule'.padEnd(pad)}  alone  in sequence`,
      ...ev.rules.map((r, i) => `  ${r.id.padEnd(pad)}  ${String(r.removedAlone).padStart(5)}  ${rules[i].enabled === false ? '  (off)' : String(r.removedCumulative).padStart(11)}`),
    ].join('\n');
    ctx.print(human, ev);
    return 0;
  } finally {
    await engine.close();
  }
}
