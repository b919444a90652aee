// `winnow adapt` (also `winnow label --adapted`): adapt the labels to the reviews, label the
// unreviewed items with the adapted classifier, optionally distill it; `--order` prints the most
// useful items to review next, `--regions` the per-class detection thresholds learnt from reviewed boxes.
import path from 'node:path';
import type { JobT } from '../api/contract';
import { AdaptStrategy } from '../domain/adapt';
import { startAdapt } from '../api/handlers-adapt';
import { adaptReports } from '../engine/adapt/reports';
import { distill } from '../engine/adapt/distill';
import { usefulQueue } from '../engine/adapt/queue';
import { regionThresholds } from '../engine/adapt/regions';
import { Engine } from '../engine/engine';
import type { CommandContext } from './commands';

interface Helpers {
  requireProjectDir(ctx: CommandContext): string;
  followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]>;
}

export interface AdaptValues { head?: string; distill?: string; order?: string; limit?: string; regions?: boolean; model?: string; k?: string; threshold?: string }

export const ADAPT_USAGE = 'usage: winnow adapt [--model ID] [--head DIR] [--distill OUT] | --order uncertainty|margin|diverse|random [--limit N] | --regions';

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

export async function adaptCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const v = ctx.values as CommandContext['values'] & AdaptValues;
  const engine = new Engine('cli');
  await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const project = engine.requireProject();
    if (v.order !== undefined) {
      const strategy = AdaptStrategy.safeParse(v.order);
      if (!strategy.success) throw new Error(`--order must be one of ${AdaptStrategy.options.join(', ')}; ${ADAPT_USAGE}`);
      const limit = Number(v.limit ?? 20);
      if (!Number.isInteger(limit) || limit < 1) throw new Error('--limit must be a positive integer');
      const queue = usefulQueue(project, strategy.data, limit, v.model);
      ctx.print(queue.length ? queue.map((q) => `item ${q.itemId}  confidence ${q.confidence.toFixed(3)}  margin ${q.margin.toFixed(3)}`).join('\n') : 'no items with pending label proposals', queue);
      return 0;
    }
    if (v.regions) {
      const rows = regionThresholds(project.db);
      const f = (x: number | null, d = 2) => (x === null ? '-' : x.toFixed(d));
      ctx.print(rows.length ? rows.map((r) => `${r.label}: threshold ${f(r.threshold, 3)} (${r.accepted} accepted, ${r.rejected} rejected; rejects per accept ${f(r.rejectsPerAcceptBefore)} → ${f(r.rejectsPerAcceptAfter)})`).join('\n') : 'no reviewed detection proposals yet', rows);
      return 0;
    }
    const k = v.k === undefined ? undefined : Number(v.k);
    const threshold = v.threshold === undefined ? undefined : Number(v.threshold);
    const jobId = startAdapt(engine, { model: v.model, head: v.head ? path.resolve(v.head) : undefined, k, threshold });
    const jobs = await h.followJobs(engine, ctx);
    const job = jobs.find((j) => j.id === jobId)!;
    if (job.state !== 'done') {
      ctx.print(`${job.title}: ${job.state}${job.error ? `: ${job.error}` : ''}`, { job });
      return 1;
    }
    const report = adaptReports(project).find((r) => r.job === jobId)!;
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
      card = distill(project, v.distill, jobId);
      lines.push(`distilled to ${path.resolve(v.distill)} (head.onnx, winnow-head.json, README.md)`);
    }
    ctx.print(lines.join('\n'), { job, report, card });
    return 0;
  } finally {
    await engine.close();
  }
}
