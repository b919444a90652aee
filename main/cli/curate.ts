// `winnow stats` and `winnow select`: the curation engine from the command line.
import { readFile } from 'node:fs/promises';
import type { JobT } from '../api/contract';
import { RuleList } from '../api/methods/curation';
import { evaluateRules } from '../engine/curate/evaluate';
import { defaultRules } from '../engine/curate/rules';
import { SelectionStore } from '../engine/curate/selection';
import { STATS_JOB } from '../engine/curate/stats-job';
import { Engine } from '../engine/engine';
import { DupGroupStore } from '../engine/store/dup-groups';
import type { Db } from '../engine/store/database';
import { RunStore } from '../engine/store/runs';
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
  const groups = new DupGroupStore(project.db);
  const result = final.state === 'done' ? { job: final, exactGroups: groups.count('exact'), phashGroups: groups.count('phash') } : { job: final };
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
    if (!ctx.values.rules && ctx.values.name) return showSnapshot(ctx, project.db, ctx.values.name);
    const rules = ctx.values.rules ? RuleList.parse(JSON.parse(await readFile(ctx.values.rules, 'utf8'))) : defaultRules();
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

/** A saved selection: its frozen snapshot (what export uses), the runs it was based on, and its rules re-evaluated today. */
function showSnapshot(ctx: CommandContext, db: Db, name: string): number {
  const store = new SelectionStore(db);
  const s = store.get(name);
  const cmp = store.compare(name);
  const runs = new RunStore(db).many(s.runIds);
  const live = evaluateRules(db, s.rules);
  const human = [
    `${s.kept} kept, ${(s.total ?? cmp.total) - s.kept} removed of ${s.total ?? cmp.total} (snapshot "${s.name}" frozen ${s.frozenAt ?? 'never'}; export uses this)`,
    ...runs.map((r) => `  run #${r.id} ${r.kind}${r.jobId !== null ? ` (job #${r.jobId})` : ''}${r.model ? ` ${r.model}` : ''} ${r.finishedAt ?? r.startedAt}`),
    `Rules today: ${cmp.liveKept} kept of ${cmp.total}; ${cmp.onlyInSnapshot} kept only by the snapshot, ${cmp.onlyLive} only today${cmp.sameRuns ? '' : ' (newer runs since the snapshot)'}`,
  ].join('\n');
  ctx.print(human, { selection: s, runs, compare: cmp, live });
  return 0;
}
