// `winnow init`, `import`, `embed`, `resume` and `status`: a project's lifecycle through the contract.
import path from 'node:path';
import { localClient } from '../api/client';
import { describeOwner, type JobT } from '../api/contract';
import { Engine } from '../engine/engine';
import { INPUTS_JOB } from '../engine/vision/input-pass';
import type { CommandContext } from './commands';
import { followJob, jobFailure } from './follow';
import { requireProjectDir, withSession } from './with-session';

export async function initCommand(ctx: CommandContext): Promise<number> {
  const dir = ctx.args[0];
  if (!dir) throw new Error('usage: winnow init DIR [--name NAME]');
  const engine = new Engine('cli', { command: 'winnow init' });
  try {
    const info = await localClient(engine).call('project.create', { dir: path.resolve(dir), ...(ctx.values.name && { name: ctx.values.name }) });
    ctx.print(`Created project "${info.name}" in ${info.dir}`, info);
    return 0;
  } finally {
    await engine.close();
  }
}

export function importCommand(ctx: CommandContext): Promise<number> {
  const target = ctx.args[0];
  if (!target) throw new Error('usage: winnow import PATH [--project DIR]');
  return withSession(ctx, 'import', async (session) => {
    const { source, jobId } = await session.client.call('sources.add', { path: path.resolve(target) });
    const job = await followJob(session, jobId, ctx);
    // The input pass queued behind the import (inputs-job.ts) is part of the command: the next one does not inherit it.
    const inputs = (await session.client.call('jobs.list', {})).filter((j) => j.kind === INPUTS_JOB && (j.state === 'queued' || j.state === 'running'));
    for (const pass of job.state === 'done' ? inputs : []) await followJob(session, pass.id, ctx);
    const after = (await session.client.call('sources.list', {})).find((s) => s.id === source.id) ?? source;
    ctx.print(`${after.itemCount} items from ${after.name}; ${after.issueCount} issues${job.state !== 'done' ? ` (${jobFailure(job)})` : ''}`, { source: after, job });
    return job.state === 'done' ? 0 : 1;
  });
}

export function embedCommand(ctx: CommandContext): Promise<number> {
  return withSession(ctx, 'embed', async (session) => {
    const { client } = session;
    const status = await client.call('vision.status', ctx.values.model ? { model: ctx.values.model } : {});
    const failed = status.attempts.filter((a) => !a.ok).map((a) => `${a.provider} unavailable: ${a.reason}`);
    if (!ctx.values.json) process.stderr.write(`${[...failed, `model ${status.model} (${status.dim}-d) on ${status.provider}`].join('\n')}\n`);
    const { jobId } = await client.call('embed.start', { model: status.model });
    const job = await followJob(session, jobId, ctx);
    const set = (await client.call('embeddings.list', {})).find((s) => s.model === status.model);
    const fit = job.state === 'done' ? await client.call('models.fit', { model: status.model }) : null;
    if (fit?.verdict === 'outside' && !ctx.values.json) process.stderr.write(`warning: ${fit.message}\n`);
    ctx.print(`${set?.images ?? 0} images and ${set?.texts ?? 0} distinct captions embedded with ${status.model} on ${status.provider}${job.state !== 'done' ? ` (${jobFailure(job)})` : ''}`, { status, job, set, fit });
    return job.state === 'done' ? 0 : 1;
  });
}

/** Resumes what dead owners left unfinished; a live owner is running its jobs already, so there is nothing to do here. */
export async function resumeCommand(ctx: CommandContext): Promise<number> {
  return withSession(ctx, 'resume', async (session) => {
    const { client } = session;
    if (session.attachedTo) {
      const jobs = await client.call('jobs.list', {});
      ctx.print(`${describeOwner(session.attachedTo)} owns the project and runs its jobs:\n${formatJobs(jobs)}`, { owner: session.attachedTo, jobs });
      return 0;
    }
    const interrupted = (await client.call('jobs.list', {})).filter((j) => j.state === 'interrupted').reverse();
    const finished: JobT[] = [];
    for (const job of interrupted) await client.call('jobs.resume', { id: job.id });
    for (const job of interrupted) finished.push(await followJob(session, job.id, ctx));
    ctx.print(formatJobs(finished) || 'nothing to resume', { project: session.dir, jobs: finished });
    return finished.some((j) => j.state !== 'done') ? 1 : 0;
  });
}

/** Reads the project without taking it: `status` never writes, whoever owns the project. */
export async function statusCommand(ctx: CommandContext): Promise<number> {
  const engine = new Engine('cli', { command: 'winnow status' });
  try {
    await engine.openProject(requireProjectDir(ctx), { access: 'read-only', resume: false });
    const client = localClient(engine);
    const { project: info } = await client.call('app.info', {});
    const sources = await client.call('sources.list', {});
    const jobs = (await client.call('jobs.list', {})).slice(0, 10);
    const human = [
      `${info!.name} (${info!.dir})`,
      info!.owner ? `open in ${describeOwner(info!.owner)}` : 'not open in any other process',
      `${info!.itemCount} items, ${info!.sourceCount} sources, ${info!.issueCount} issues`,
      ...sources.map((s) => `  source #${s.id} ${s.kind} ${s.path}: ${s.itemCount} items, ${s.issueCount} issues`),
      ...jobs.map((j) => `  job #${j.id} ${j.title}: ${j.state} ${j.done}/${j.total ?? '?'}${j.error ? ` (${j.error})` : ''}${j.state === 'running' && !info!.owner ? ' (its process is gone; it resumes when the project is next opened)' : ''}`),
    ].join('\n');
    ctx.print(human, { ...info, sources, jobs });
    return 0;
  } finally {
    await engine.close();
  }
}

function formatJobs(jobs: JobT[]): string {
  return jobs.slice(0, 10).map((j) => `#${j.id} ${j.title}: ${j.state} ${j.done}/${j.total ?? '?'}${j.error ? ` (${j.error})` : ''}`).join('\n');
}
