// `winnow dedup --semantic`: semantic near-duplicates.
import type { KeepPolicy } from '../engine/curate/semantic-job';
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { numberOption } from './number-option';
import { withSession } from './with-session';

type Values = CommandContext['values'] & { semantic?: boolean; threshold?: string; k?: string; policy?: string; method?: string; verify?: string; 'min-alignment'?: string };

export function dedupCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values as Values;
  if (!v.semantic) throw new Error('usage: winnow dedup --semantic [--threshold T] [--verify pixels|none] [--min-alignment A] [--policy pair|resolution|first] [--method graph|semdedup] [--model ID] (exact and perceptual duplicates come from `winnow stats`)');
  if (v.verify && !['pixels', 'none'].includes(v.verify)) throw new Error('--verify must be pixels or none');
  const minAlignment = numberOption(v['min-alignment'], 'min-alignment');
  if (minAlignment !== undefined && (minAlignment < 0 || minAlignment > 1)) throw new Error('--min-alignment must be within 0..1');
  // Without --threshold the engine takes the model's calibrated cosine (or the project's override).
  const given = numberOption(v.threshold, 'threshold');
  if (given !== undefined && (given < 0.5 || given > 1)) throw new Error('--threshold must be within 0.5..1');
  const verify = (v.verify ?? 'pixels') as 'pixels' | 'none';
  if (v.policy && !['pair', 'resolution', 'first'].includes(v.policy)) throw new Error('--policy must be pair, resolution or first');
  if (v.method && !['graph', 'semdedup'].includes(v.method)) throw new Error('--method must be graph or semdedup');
  return withSession(ctx, 'dedup', async (session) => {
    const { client } = session;
    const { jobId } = await client.call('dedup.semantic.run', {
      ...(v.model && { model: v.model }), ...(given !== undefined && { threshold: given }), verify, ...(minAlignment !== undefined && { minAlignment }),
      ...(v.policy && { policy: v.policy as KeepPolicy }), ...(v.method && { method: v.method as 'graph' | 'semdedup' }),
    });
    const job = await followJob(session, jobId, ctx);
    if (job.state !== 'done') {
      ctx.print(jobFailure(job), { job });
      return 1;
    }
    const { total: groups } = await client.call('duplicates.groups', { kind: 'semantic', limit: 1 });
    const run = (await client.call('runs.list', {})).find((r) => r.jobId === jobId);
    const threshold = (run?.params.threshold as number | undefined) ?? given;
    ctx.print(`${groups} semantic near-duplicate groups with ${run?.model ?? 'the embedding model'} (cos ≥ ${threshold}${verify === 'pixels' ? ', verified by pixels' : ''})`, { job, model: run?.model ?? null, threshold, verify, groups });
    return 0;
  });
}
