// `winnow export` and `winnow download`: the formats area from the command line.
import path from 'node:path';
import type { JobT } from '../api/contract';
import { DownloadOptions } from '../api/methods/formats';
import { Engine } from '../engine/engine';
import { validateExport } from '../engine/export/export-job';
import { exportFormats } from '../engine/export/formats';
import { countPendingDownloads } from '../engine/ingest/download-job';
import type { CommandContext } from './commands';

interface Helpers {
  requireProjectDir(ctx: CommandContext): string;
  followJobs(engine: Engine, ctx: CommandContext): Promise<JobT[]>;
}

/** `--opt key=value` pairs; numbers and booleans are typed by the format's option spec later. */
function parseOpts(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new Error(`--opt expects key=value, got "${kv}"`);
    out[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return out;
}

export async function exportCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const engine = new Engine('cli');
  const project = await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    if (!ctx.values.format || !ctx.values.out) {
      const list = exportFormats(project).map((f) => `  ${f.id.padEnd(12)} ${f.description}\n${f.options.map((o) => `      --opt ${o.name}=${o.choices ? o.choices.join('|') : o.type} (default ${o.default}) ${o.description}`).join('\n')}`).join('\n');
      throw new Error(`usage: winnow export --format F --out DIR [--selection NAME] [--opt key=value ...] [--json]\n\nformats:\n${list}`);
    }
    const params = await validateExport(project, { format: ctx.values.format, dest: path.resolve(ctx.values.out), selection: ctx.values.selection ?? null, options: parseOpts(ctx.values.opt) });
    const job = project.jobs.start('export', params);
    const jobs = await h.followJobs(engine, ctx);
    const final = jobs.find((j) => j.id === job.id) ?? job;
    ctx.print(final.state === 'done' ? `Exported ${final.done} items as ${params.format} to ${params.dest}` : `export ${final.state}${final.error ? `: ${final.error}` : ''}`, { job: final, dest: params.dest, format: params.format, options: params.options });
    return final.state === 'done' ? 0 : 1;
  } finally {
    await engine.close();
  }
}

export async function downloadCommand(ctx: CommandContext, h: Helpers): Promise<number> {
  const engine = new Engine('cli');
  const project = await engine.openProject(h.requireProjectDir(ctx), { resume: false });
  try {
    const raw = parseOpts(ctx.values.opt);
    const options = DownloadOptions.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v === 'null' ? null : Number(v)])));
    const pending = countPendingDownloads(project, null);
    const job = project.jobs.start('download', { sourceId: null, options });
    const jobs = await h.followJobs(engine, ctx);
    const final = jobs.find((j) => j.id === job.id) ?? job;
    const failed = project.db.prepare(`SELECT json_extract(provenance, '$.download_status') s, count(*) n FROM items WHERE json_extract(provenance, '$.download_status') IS NOT NULL GROUP BY s`).all() as { s: string; n: number }[];
    ctx.print(`${pending} URLs: ${failed.map((f) => `${f.n} ${f.s}`).join(', ') || 'nothing to do'}`, { job: final, pending, statuses: Object.fromEntries(failed.map((f) => [f.s, f.n])) });
    return final.state === 'done' ? 0 : 1;
  } finally {
    await engine.close();
  }
}
