// `winnow export` and `winnow download`: the formats area from the command line, through the contract.
import path from 'node:path';
import { DownloadOptions } from '../api/methods/formats';
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { withSession } from './with-session';

/** `--opt key=value` pairs; numbers and booleans are typed by the format's option spec later. */
export function parseOpts(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of list ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new Error(`--opt expects key=value, got "${kv}"`);
    out[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return out;
}

export function exportCommand(ctx: CommandContext): Promise<number> {
  return withSession(ctx, 'export', async (session) => {
    const { client } = session;
    if (!ctx.values.format || !ctx.values.out) {
      const list = (await client.call('export.formats', {})).map((f) => `  ${f.id.padEnd(12)} ${f.description}\n${f.options.map((o) => `      --opt ${o.name}=${o.choices ? o.choices.join('|') : o.type} (default ${o.default}) ${o.description}`).join('\n')}`).join('\n');
      throw new Error(`usage: winnow export --format F --out DIR [--selection NAME] [--opt key=value ...] [--json]\n\nformats:\n${list}`);
    }
    const { jobId, dest, options } = await client.call('export.start', { format: ctx.values.format, dest: path.resolve(ctx.values.out), selection: ctx.values.selection ?? null, options: parseOpts(ctx.values.opt) });
    const job = await followJob(session, jobId, ctx);
    ctx.print(job.state === 'done' ? `Exported ${job.done} items as ${ctx.values.format} to ${dest}` : jobFailure(job), { job, dest, format: ctx.values.format, options });
    return job.state === 'done' ? 0 : 1;
  });
}

export function downloadCommand(ctx: CommandContext): Promise<number> {
  const raw = parseOpts(ctx.values.opt);
  // --opt values are text: numbers, true/false, null, and comma lists for allowNetworks.
  const typed = (k: string, v: string): unknown => (v === 'null' ? null : v === 'true' ? true : v === 'false' ? false : k === 'allowNetworks' ? v.split(',').map((x) => x.trim()).filter(Boolean) : Number(v));
  const options = DownloadOptions.parse(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, typed(k, v)])));
  return withSession(ctx, 'download', async (session) => {
    const { client } = session;
    const { jobId, pending } = await client.call('downloads.start', { options });
    const job = await followJob(session, jobId, ctx);
    const statuses = await client.call('downloads.status', {});
    const summary = `${pending} URLs: ${Object.entries(statuses).map(([s, n]) => `${n} ${s}`).join(', ') || 'nothing to do'}`;
    ctx.print(job.state === 'done' ? summary : `${summary} (${jobFailure(job)})`, { job, pending, statuses });
    return job.state === 'done' ? 0 : 1;
  });
}
