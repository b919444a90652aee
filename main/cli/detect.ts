// `winnow detect`: zero-shot detection (and masks) over a selection as a resumable job; proposals per label.
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { withSession } from './with-session';

export function detectCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values as Record<string, string | boolean | undefined>;
  const queries = [...new Set(String(v.queries ?? ctx.args.join(',')).split(',').map((q) => q.trim()).filter(Boolean))];
  if (queries.length === 0) throw new Error('usage: winnow detect --queries "red circle,blue square" [--threshold P] [--segment] [--selection NAME] [--model ID]');
  const threshold = v.threshold === undefined ? undefined : Number(v.threshold);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold must be in [0, 1], got "${v.threshold}"`);
  return withSession(ctx, 'detect', async (session) => {
    const { client } = session;
    const { jobId } = await client.call('detect.run', {
      queries, segment: v.segment === true, selection: (v.selection as string | undefined) ?? null,
      ...(threshold !== undefined && { threshold }), ...(typeof v.model === 'string' && { model: v.model }),
    });
    const job = await followJob(session, jobId, ctx);
    if (job.state !== 'done') {
      ctx.print(jobFailure(job), { job });
      return 1;
    }
    const counts = await client.call('detect.counts', { jobId });
    const pad = Math.max(5, ...queries.map((q) => q.length));
    ctx.print([`${job.done} items searched for ${queries.length} queries; proposals to review:`, ...queries.map((q) => `  ${q.padEnd(pad)}  ${String(counts.find((c) => c.label === q)?.count ?? 0).padStart(7)}`)].join('\n'), { job, counts });
    return 0;
  });
}
