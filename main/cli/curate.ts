// `winnow stats` and `winnow select`: the curation engine from the command line, through the contract.
import { readFile } from 'node:fs/promises';
import { RuleList } from '../api/methods/curation';
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { withSession } from './with-session';

export function statsCommand(ctx: CommandContext): Promise<number> {
  return withSession(ctx, 'stats', async (session) => {
    const { client } = session;
    const { jobId } = await client.call('curate.runStats', { force: ctx.values.force === true });
    const job = await followJob(session, jobId, ctx);
    if (job.state !== 'done') {
      ctx.print(jobFailure(job), { job });
      return 1;
    }
    const groups = async (kind: 'exact' | 'phash') => (await client.call('duplicates.groups', { kind, limit: 1 })).total;
    const result = { job, exactGroups: await groups('exact'), phashGroups: await groups('phash') };
    ctx.print(`${job.done} items measured; ${result.exactGroups} exact and ${result.phashGroups} perceptual duplicate groups`, result);
    return 0;
  });
}

export function selectCommand(ctx: CommandContext): Promise<number> {
  return withSession(ctx, 'select', async ({ client }) => {
    const rules = ctx.values.rules
      ? RuleList.parse(JSON.parse(await readFile(ctx.values.rules, 'utf8')))
      : ctx.values.name
        ? (await client.call('selection.get', { name: ctx.values.name })).rules
        : await client.call('selection.defaults', {});
    const ev = await client.call('selection.evaluate', { rules });
    const pad = Math.max(...rules.map((r) => r.id.length), 4);
    const human = [
      `${ev.kept} kept, ${ev.removed} removed of ${ev.total}`,
      `  ${'rule'.padEnd(pad)}  alone  in sequence`,
      ...ev.rules.map((r, i) => `  ${r.id.padEnd(pad)}  ${String(r.removedAlone).padStart(5)}  ${rules[i].enabled === false ? '  (off)' : String(r.removedCumulative).padStart(11)}`),
    ].join('\n');
    ctx.print(human, ev);
    return 0;
  });
}
