// `winnow dedup --semantic` and `winnow search "text"`: semantic near-duplicates and text → image search.
import type { JobT } from '../api/contract';
import { DupGroupStore } from '../engine/store/dup-groups';
import { requireSet } from '../engine/curate/embedding-pages';
import { searchVector } from '../engine/curate/search';
import { type KeepPolicy, SEMDEDUP_JOB, semanticDefaults, type VerifyMode } from '../engine/curate/semantic-job';
import { Engine } from '../engine/engine';
import { DEFAULT_MODEL } from '../engine/vision/active-model';
import type { CommandContext } from './commands';

interface Helpers {
  requireProjectDir(ctx: CommandContext): string;
  followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]>;
}

type Values = CommandContext['values'] & { semantic?: boolean; threshold?: string; k?: string; policy?: string; method?: string; verify?: string; 'min-alignment'?: string };

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${v}`);
  return n;
}

export async function dedupCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const v = ctx.values as Values;
  if (!v.semantic) throw new Error('usage: winnow dedup --semantic [--threshold T] [--verify pixels|none] [--min-alignment A] [--policy pair|resolution|first] [--method graph|semdedup] [--model ID] (exact and perceptual duplicates come from `winnow stats`)');
  if (v.verify && !['pixels', 'none'].includes(v.verify)) throw new Error('--verify must be pixels or none');
  const minAlignment = num(v['min-alignment'], 'min-alignment');
  if (minAlignment !== undefined && (minAlignment < 0 || minAlignment > 1)) throw new Error('--min-alignment must be within 0..1');
  const { threshold, verify } = semanticDefaults({ threshold: num(v.threshold, 'threshold'), verify: v.verify as VerifyMode | undefined, minAlignment });
  if (threshold < 0.5 || threshold > 1) throw new Error('--threshold must be within 0.5..1');
  if (v.policy && !['pair', 'resolution', 'first'].includes(v.policy)) throw new Error('--policy must be pair, resolution or first');
  if (v.method && !['graph', 'semdedup'].includes(v.method)) throw new Error('--method must be graph or semdedup');
  const engine = new Engine('cli');
  const project = await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const model = v.model ?? DEFAULT_MODEL;
    requireSet(project, model);
    const job = project.jobs.start(SEMDEDUP_JOB, { model, threshold, verify, minAlignment, policy: v.policy as KeepPolicy | undefined, method: v.method as 'graph' | 'semdedup' | undefined });
    const jobs = await h.followJobs(engine, ctx);
    const final = jobs.find((j) => j.id === job.id) ?? job;
    const db = project.db;
    const dupGroups = new DupGroupStore(db);
    const groups = dupGroups.count('semantic');
    const duplicates = dupGroups.removedCount('semantic');
    ctx.print(
      final.state === 'done' ? `${groups} semantic near-duplicate groups (cos ≥ ${threshold}${verify === 'pixels' ? ', verified by pixels' : ''}); ${duplicates} non-keepers` : `semantic dedup job ${final.state}${final.error ? `: ${final.error}` : ''}`,
      { job: final, threshold, verify, groups, duplicates },
    );
    return final.state === 'done' ? 0 : 1;
  } finally {
    await engine.close();
  }
}

export async function searchCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const v = ctx.values as Values;
  const query = ctx.args.join(' ').trim();
  if (!query) throw new Error('usage: winnow search "text" [--k N] [--model ID] [--json]');
  const k = num(v.k, 'k') ?? 20;
  if (!Number.isInteger(k) || k < 1 || k > 1000) throw new Error('--k must be an integer within 1..1000');
  const engine = new Engine('cli');
  const project = await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const set = requireSet(project, v.model ?? DEFAULT_MODEL);
    const { model } = await engine.active.get(set.model);
    const result = searchVector(project, set, (await model.embedTexts([query])).subarray(0, model.dim), k);
    const hits = result.hits.map((hit) => {
      const item = project.items.get(hit.itemId);
      return { ...hit, key: item?.key ?? null, caption: item?.caption ?? null };
    });
    ctx.print(hits.map((x, i) => `${String(i + 1).padStart(3)}. ${x.score.toFixed(4)}  #${x.itemId} ${x.key}${x.caption ? `  “${x.caption}”` : ''}`).join('\n') || 'no embedded images', { query, model: set.model, method: result.method, hits });
    return 0;
  } finally {
    await engine.close();
  }
}
