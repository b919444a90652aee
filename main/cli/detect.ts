// `winnow detect`: zero-shot detection (and masks) over a selection as a resumable job; proposals per label.
import type { JobT } from '../api/contract';
import { DETECT_JOB } from '../engine/detect/detect-job';
import { Engine } from '../engine/engine';
import type { CommandContext } from './commands';

interface Helpers {
  requireProjectDir(ctx: CommandContext): string;
  followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]>;
}

export async function detectCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const v = ctx.values as Record<string, string | boolean | undefined>;
  const queries = [...new Set(String(v.queries ?? ctx.args.join(',')).split(',').map((q) => q.trim()).filter(Boolean))];
  if (queries.length === 0) throw new Error('usage: winnow detect --queries "red circle,blue square" [--threshold P] [--segment] [--selection NAME] [--model ID]');
  const threshold = v.threshold === undefined ? undefined : Number(v.threshold);
  if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) throw new Error(`--threshold must be in [0, 1], got "${v.threshold}"`);
  const engine = new Engine('cli');
  await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const project = engine.requireProject();
    const job = project.jobs.start(DETECT_JOB, { queries, threshold, segment: v.segment === true, selection: (v.selection as string | undefined) ?? null, model: v.model as string | undefined });
    const jobs = await h.followJobs(engine, ctx);
    const done = jobs.find((j) => j.id === job.id)!;
    if (done.state !== 'done') {
      ctx.print(`${done.title}: ${done.state}${done.error ? `: ${done.error}` : ''}`, { job: done });
      return 1;
    }
    const counts = project.db.prepare(`SELECT label, count(*) AS n FROM annotations WHERE json_extract(params, '$.job') = ? GROUP BY label ORDER BY label`).all(job.id) as { label: string; n: number }[];
    const pad = Math.max(5, ...queries.map((q) => q.length));
    ctx.print([`${done.done} items searched for ${queries.length} queries; proposals to review:`, ...queries.map((q) => `  ${q.padEnd(pad)}  ${String(counts.find((c) => c.label === q)?.n ?? 0).padStart(7)}`)].join('\n'), { job: done, counts });
    return 0;
  } finally {
    await engine.close();
  }
}
