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
      ...(threshold !== undefined && { threshold }), ...(v.adapted === true && { regionCache: true }), ...(typeof v.model === 'string' && { model: v.model }),
    });
    const job = await followJob(session, jobId, ctx);
    if (job.state !== 'done') {
      ctx.print(jobFailure(job), { job });
      return 1;
    }
    const counts = await client.call('detect.counts', { jobId });
    const pad = Math.max(5, ...queries.map((q) => q.length));
    // The run records what the region cache learnt (its params.regionCache).
    const run = (await client.call('runs.list', {})).find((r) => r.jobId === jobId && r.kind === 'detect.run');
    const cache = run?.params.regionCache as { examples: number; alpha: number; mode: string; rejectsPerAcceptBefore: number | null; rejectsPerAcceptAfter: number | null; acceptedKept: number } | undefined;
    const cacheLine = cache ? `region cache from ${cache.examples} reviewed boxes: ${cache.alpha > 0 ? `cache α=${cache.alpha}` : 'no cache'}, ${cache.mode} cut; cross-validated rejected per accepted ${cache.rejectsPerAcceptBefore?.toFixed(2)} → ${cache.rejectsPerAcceptAfter?.toFixed(2)} keeping ${(cache.acceptedKept * 100).toFixed(0)}% of accepted`
      : v.adapted === true ? 'region cache: no reviewed boxes of these queries with both an accepted and a rejected one yet; scores left as detected' : null;
    ctx.print([...(cacheLine ? [cacheLine] : []), `${job.done} items searched for ${queries.length} queries; proposals to review:`, ...queries.map((q) => `  ${q.padEnd(pad)}  ${String(counts.find((c) => c.label === q)?.count ?? 0).padStart(7)}`)].join('\n'), { job, counts, ...(v.adapted === true && { regionCache: cache ?? null }) });
    return 0;
  });
}
