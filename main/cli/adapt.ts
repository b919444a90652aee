// `winnow adapt` (also `winnow label --adapted`): adapt the labels to the reviews, label the
// unreviewed items with the adapted classifier, optionally distill it; `--order` prints the most
// useful items to review next, `--regions` the per-class detection thresholds learnt from reviewed boxes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AdaptStrategy, type AdaptStrategyT } from '../domain/adapt';
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { numberOption } from './number-option';
import { withSession } from './with-session';

export interface AdaptValues { head?: string; distill?: string; order?: string; limit?: string; regions?: boolean; model?: string; k?: string; threshold?: string }

export const ADAPT_USAGE = 'usage: winnow adapt [--model ID] [--head DIR] [--distill OUT] | --order uncertainty|margin|diverse|random [--limit N] | --regions';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export function adaptCommand(ctx: CommandContext): Promise<number> {
  const v = ctx.values as CommandContext['values'] & AdaptValues;
  let strategy: AdaptStrategyT | undefined;
  if (v.order !== undefined) {
    const parsed = AdaptStrategy.safeParse(v.order);
    if (!parsed.success) throw new Error(`--order must be one of ${AdaptStrategy.options.join(', ')}; ${ADAPT_USAGE}`);
    strategy = parsed.data;
  }
  const limit = numberOption(v.limit, 'limit') ?? 20;
  if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
  return withSession(ctx, 'adapt', async (session) => {
    const { client } = session;
    if (strategy) {
      const queue = await client.call('adapt.queue', { strategy, limit, ...(v.model && { model: v.model }) });
      ctx.print(queue.length ? queue.map((q) => `item ${q.itemId}  confidence ${q.confidence.toFixed(3)}  margin ${q.margin.toFixed(3)}`).join('\n') : 'no items with pending label proposals', queue);
      return 0;
    }
    if (v.regions) {
      const rows = await client.call('adapt.regions', {});
      const f = (x: number | null, d = 2) => (x === null ? '-' : x.toFixed(d));
      ctx.print(rows.length ? rows.map((r) => `${r.label}: threshold ${f(r.threshold, 3)} (${r.accepted} accepted, ${r.rejected} rejected; rejects per accept ${f(r.rejectsPerAcceptBefore)} → ${f(r.rejectsPerAcceptAfter)})`).join('\n') : 'no reviewed detection proposals yet', rows);
      return 0;
    }
    const k = numberOption(v.k, 'k');
    const threshold = numberOption(v.threshold, 'threshold');
    const { jobId } = await client.call('adapt.run', {
      ...(v.model && { model: v.model }), ...(v.head && { head: existsSync(v.head) || v.head.includes(path.sep) ? path.resolve(v.head) : v.head }), ...(k !== undefined && { k }), ...(threshold !== undefined && { threshold }),
    });
    const job = await followJob(session, jobId, ctx);
    if (job.state !== 'done') {
      ctx.print(jobFailure(job), { job });
      return 1;
    }
    const report = (await client.call('adapt.reports', {})).find((r) => r.job === jobId)!;
    const params = Object.entries(report.chosen.params).map(([key, value]) => `${key}=${value}`).join(', ');
    const lines = [
      report.head
        ? `labelled with the head in ${report.head} (${report.chosen.method}, trained on ${report.trainingSize} reviews)`
        : `adapted from ${report.trainingSize} reviews (${report.labelled} labelled, ${report.rejectedOnly} rejections only): ${report.chosen.method}${params ? ` (${params})` : ''}`,
      ...(report.folds ? [`cross-validated accuracy ${pct(report.chosen.accuracy)} vs zero-shot ${pct(report.zeroShot.accuracy)} (${report.folds} folds)`] : []),
      `${report.applied} unreviewed items labelled (run "adapted", job ${jobId}) in ${report.seconds.toFixed(1)} s`,
    ];
    let card;
    if (v.distill) {
      card = await client.call('adapt.distill', { out: path.resolve(v.distill), job: jobId });
      lines.push(`distilled to ${path.resolve(v.distill)} (head.onnx, winnow-head.json, README.md)`);
    }
    ctx.print(lines.join('\n'), { job, report, card });
    return 0;
  });
}
