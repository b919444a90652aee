// Scale-out commands: one shard anywhere (`run-shard`, e.g. from a Slurm array or a Kubernetes indexed
// Job), the merge, a queue worker, and `cluster run | cancel | status` over BullMQ on Redis.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseShardRef, ScalePlan, type ScalePlanT } from '../domain/scale';
import { failurePath, mergeShards, type MergeResult } from '../engine/scale/merge';
import { PoisonedShardError, runShard, shardPath } from '../engine/scale/shard-run';
import { EXPORT_FORMATS, exportShard, type ShardExportFormat } from '../engine/scale/shard-export';
import { parseOpts } from './export';
import { loadShardModel } from '../engine/scale/shard-model';
import { openStorage } from '../engine/scale/storage';
import { resolvedRules, writeResultSample } from '../engine/scale/result-sample';
import { searchShards } from '../engine/scale/shard-index';
import { Engine } from '../engine/engine';
import { DB_FILE } from '../engine/project';
import { localClient } from '../api/client';
import { followJob, jobFailure } from './follow';
import { planUnits, shardOf } from '../engine/scale/units';
import { followRun } from '../cluster/progress';
import { cancelRun, runIdOf, submitPlan } from '../cluster/submit';
import { parseRate, serveQueue } from '../cluster/worker';
import { enqueueExports, followExports } from '../cluster/export-jobs';
import type { CommandContext } from './commands';
import { numberOption } from './number-option';
import { withSession } from './with-session';

export async function readPlan(file: string | undefined): Promise<ScalePlanT> {
  if (!file) throw new Error('a plan file is needed (winnow plan export writes one)');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read plan ${file}: ${(err as Error).message}`);
  }
  const parsed = ScalePlan.safeParse(raw);
  if (!parsed.success) throw new Error(`plan ${file} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

function shardArg(text: string | undefined) {
  if (!text) throw new Error('--shard i/N is needed');
  return parseShardRef(text);
}

export async function runShardCommand(ctx: CommandContext): Promise<number> {
  const plan = await readPlan(ctx.values.plan);
  const ref = shardArg(ctx.values.shard);
  const storage = await openStorage(plan.output);
  const shard = shardOf(await planUnits(plan), ref);
  const model = await loadShardModel(plan.model);
  try {
    const summary = await runShard(plan, shard, {
      storage, model,
      onProgress: ctx.values.json ? undefined : (done, total) => { process.stderr.write(`\r${shardPath(ref)}: ${done}/${total}`); },
    });
    if (!ctx.values.json) process.stderr.write('\n');
    ctx.print(`${summary.skipped ? 'already committed' : summary.committed ? 'committed' : 'another attempt committed'} ${summary.shard}: ${summary.items} items, ${summary.embedded} embedded, ${summary.errors} unreadable (${summary.elapsedMs} ms, ${model.model.provider.vision.provider})`, summary);
    return 0;
  } catch (err) {
    const reason = (err as Error).message;
    await storage.writeJson(failurePath(shardPath(ref)), { reason, poisoned: err instanceof PoisonedShardError });
    throw new Error(`${shardPath(ref)} failed: ${reason}`);
  } finally {
    await model.model.dispose();
  }
}

function exportFormatArg(text: string, flag: string): ShardExportFormat {
  if (!(text in EXPORT_FORMATS)) throw new Error(`${flag} ${text} is not a shard export format (known: ${Object.keys(EXPORT_FORMATS).join(', ')})`);
  return text as ShardExportFormat;
}

/** `export-shard`: after the merge, one shard writes the items the merged selection keeps (export/<shard>/). */
export async function exportShardCommand(ctx: CommandContext): Promise<number> {
  const plan = await readPlan(ctx.values.plan);
  const ref = shardArg(ctx.values.shard);
  const format = exportFormatArg(ctx.values.format ?? 'webdataset', '--format');
  const storage = await openStorage(plan.output);
  const s = await exportShard(plan, shardOf(await planUnits(plan), ref), { storage, format, options: parseOpts(ctx.values.opt) });
  const what = s.alreadyCommitted ? 'already committed' : s.committed ? 'committed' : 'another attempt committed';
  ctx.print(`${what} ${s.name}: ${s.written} of ${s.items} items kept and written as ${format}${s.skipped ? ` (${s.skipped} kept items without image bytes left out)` : ''}`, s);
  return 0;
}

export async function mergeCommand(ctx: CommandContext): Promise<number> {
  const plan = await readPlan(ctx.values.plan);
  const count = numberOption(ctx.values.shards, 'shards');
  if (!count || !Number.isInteger(count) || count < 1) throw new Error('--shards N (the N of the run) is needed');
  const result = await mergeShards(plan, count, await openStorage(plan.output));
  ctx.print(describeResult(result), result);
  return result.failed.length ? 3 : 0;
}

function describeResult(r: Awaited<ReturnType<typeof mergeShards>>): string {
  const lines = [
    `merged ${r.merged}/${r.shards} shards: ${r.items} items (${r.embedded} embedded, ${r.errors} unreadable), ${r.duplicates.exactGroups} exact, ${r.duplicates.phashGroups} perceptual and ${r.duplicates.semanticGroups} semantic duplicate groups`,
    ...(r.selection.rules.length ? [`the plan's rules keep ${r.selection.kept} and remove ${r.selection.removed} (selection.parquet)`, ...r.selection.rules.map((x) => `  ${x.id}: removes ${x.removedAlone}`)] : []),
    ...r.failed.map((f) => `  failed ${f.shard}: ${f.reason}`),
  ];
  return lines.join('\n');
}

export async function workerCommand(ctx: CommandContext): Promise<number> {
  if (!ctx.values.queue) throw new Error('--queue redis://host:port is needed');
  const running = await serveQueue(ctx.values.queue, {
    concurrency: numberOption(ctx.values.concurrency, 'concurrency'), lockMs: numberOption(ctx.values['lock-ms'], 'lock-ms'), name: ctx.values.name,
    rate: ctx.values.rate ? parseRate(ctx.values.rate) : undefined,
  });
  const stop = () => { void running.close().then(() => process.exit(0)); };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return -1;
}

export async function clusterCommand(ctx: CommandContext): Promise<number> {
  const [sub, target] = ctx.args;
  if (sub === 'open') return openResultCommand(ctx, target);
  if (sub === 'search') return searchShardsCommand(ctx, target);
  const url = ctx.values.queue;
  if (!url) throw new Error('--queue redis://host:port is needed');
  if (sub === 'run') {
    const plan = await readPlan(target);
    const exportFormat = ctx.values.export === undefined ? undefined : exportFormatArg(ctx.values.export, '--export');
    const submitted = await submitPlan(url, plan, numberOption(ctx.values.shards, 'shards'), { export: exportFormat });
    const { info } = submitted;
    if (!ctx.values.json) console.log(`run ${info.runId}: ${info.count} shards of ${plan.name}${submitted.alreadyDone ? ' (already finished)' : submitted.resumed ? ' (attached to the run in flight)' : ''}`);
    if (ctx.values.detach) {
      ctx.print(info.runId, { runId: info.runId, shards: info.count });
      return 0;
    }
    const outcome = await followRun(url, info, { print: ctx.values.json ? () => undefined : undefined });
    if (outcome.error) {
      ctx.print(`run ${info.runId} did not finish: ${outcome.error}`, { runId: info.runId, error: outcome.error, shards: outcome.shards });
      return 1;
    }
    if (!exportFormat) {
      ctx.print(describeResult(outcome.result!), { runId: info.runId, result: outcome.result, shards: outcome.shards });
      return outcome.result!.failed.length ? 3 : 0;
    }
    // A run attached to (submitted earlier without --export) gets its export jobs here; ids make this idempotent.
    await enqueueExports(url, info.runId, plan, info.count, exportFormat);
    const exported = await followExports(url, info.runId, info.count, { print: ctx.values.json ? undefined : (l) => console.log(l) });
    const lines = [describeResult(outcome.result!), `exported ${exported.exports.reduce((a, e) => a + e.written, 0)} kept items as ${exportFormat} into export/ (${exported.exports.length}/${info.count} shards)`, ...exported.failed.map((f) => `  export of shard ${f.shard} failed: ${f.reason}`)];
    ctx.print(lines.join('\n'), { runId: info.runId, result: outcome.result, shards: outcome.shards, exports: exported.exports, exportFailures: exported.failed });
    return outcome.result!.failed.length || exported.failed.length ? 3 : 0;
  }
  if (sub === 'cancel') {
    if (!target) throw new Error('usage: winnow cluster cancel PLAN|RUN_ID --queue URL [--shards N]');
    const runId = /^[0-9a-f]{12}$/.test(target) ? target : await (async () => {
      const plan = await readPlan(target);
      return runIdOf(plan, numberOption(ctx.values.shards, 'shards') ?? Math.max(1, (await planUnits(plan)).length));
    })();
    const res = await cancelRun(url, runId);
    if (!res.found) throw new Error(`no run ${runId} on ${url}`);
    ctx.print(`cancelled run ${runId}: ${res.removed} waiting jobs removed; running shards stop after their current batch (submit the plan again to resume)`, { runId, ...res });
    return 0;
  }
  throw new Error('usage: winnow cluster run PLAN | cancel PLAN|RUN_ID  --queue redis://host:port | open RESULT --project DIR [--sample N]');
}

/** `winnow plan export --out FILE --output STORAGE`: the project's choices as a plan, through the contract. */
export async function planCommand(ctx: CommandContext): Promise<number> {
  if (ctx.args[0] !== 'export') throw new Error('usage: winnow plan export --out FILE --output DIR|s3://bucket/prefix [--selection NAME] [--model ID] [--threshold T] [--method graph|semdedup] [--no-stages]');
  const v = ctx.values;
  if (!v.out) throw new Error('--out FILE (where to write the plan) is needed');
  if (!v.output) throw new Error('--output (a folder every worker sees, or s3://bucket/prefix) is needed');
  const output = v.output.startsWith('s3://') ? v.output : path.resolve(v.output);
  const method = v.method === undefined ? undefined : v.method === 'graph' || v.method === 'semdedup' ? v.method : (() => { throw new Error('--method is graph or semdedup'); })();
  const threshold = numberOption(v.threshold, 'threshold');
  return withSession(ctx, 'plan export', async ({ client }) => {
    const plan = await client.call('plan.export', {
      output, ...(v.selection && { selection: v.selection }), ...(v.model && { model: v.model }),
      ...((threshold !== undefined || method) && { dedup: { ...(threshold !== undefined && { threshold }), ...(method && { method }) } }),
      ...(v['no-stages'] && { stages: false }),
    });
    await writeFile(v.out!, JSON.stringify(plan, null, 2) + '\n');
    ctx.print(`wrote ${v.out}: ${plan.sources.length} sources, model ${plan.model}, ${plan.rules.length} rules, dedup ${plan.dedup.method} at ${plan.dedup.threshold}, stages: ${['embed', ...Object.keys(plan.stages)].join(', ')}, output ${plan.output}`, plan);
    return 0;
  });
}

/** The merged result folder of RESULT: a result folder itself, or a plan output (folder or s3://) holding `result`. */
async function resultFolder(target: string): Promise<string> {
  if (!target.startsWith('s3://') && existsSync(path.join(target, 'result.json'))) return path.resolve(target);
  const storage = await openStorage(target.startsWith('s3://') ? target : path.resolve(target));
  if (!(await storage.committed('result'))) throw new Error(`${target} holds no merged result (run winnow merge or cluster run first)`);
  return storage.open('result');
}

/** The plan and result.json a merged result folder carries. */
async function resultPlan(result: string): Promise<{ plan: ScalePlanT; merged: Partial<MergeResult> }> {
  const plan = ScalePlan.parse(JSON.parse(await readFile(path.join(result, 'plan.json'), 'utf8')));
  const merged = JSON.parse(await readFile(path.join(result, 'result.json'), 'utf8')) as Partial<MergeResult>;
  return { plan, merged };
}

/** `winnow cluster open RESULT --project DIR [--sample N]`: a project holding the result (or a sample), its signals included. */
async function openResultCommand(ctx: CommandContext, target: string | undefined): Promise<number> {
  if (!target || !ctx.values.project) throw new Error('usage: winnow cluster open RESULT --project DIR [--sample N]');
  const dir = path.resolve(ctx.values.project);
  const sample = numberOption(ctx.values.sample, 'sample');
  if (sample !== undefined && (!Number.isInteger(sample) || sample < 1)) throw new Error('--sample takes a positive whole number');
  const result = await resultFolder(target);
  if (!existsSync(path.join(dir, DB_FILE))) {
    const engine = new Engine('cli', { command: 'winnow cluster open' });
    try {
      await localClient(engine).call('project.create', { dir });
    } finally {
      await engine.close();
    }
  }
  const folder = path.join(dir, 'cluster-result');
  await mkdir(folder, { recursive: true });
  const written = await writeResultSample(result, sample, path.join(folder, `sample-${sample ?? 'all'}.parquet`));
  if (!ctx.values.json) process.stderr.write(`sample of ${written.rows} of ${written.of} items${written.unreadable ? ` (${written.unreadable} no longer readable at their source)` : ''}\n`);
  return withSession({ ...ctx, values: { ...ctx.values, project: dir } }, 'cluster open', async (session) => {
    const { source, jobId } = await session.client.call('sources.add', { path: written.file, kind: 'parquet' });
    const job = await followJob(session, jobId, ctx);
    const after = (await session.client.call('sources.list', {})).find((s) => s.id === source.id) ?? source;
    if (job.state !== 'done') {
      ctx.print(`project ${dir}: ${after.itemCount} items from the merged result (${jobFailure(job)})`, { project: dir, source: after, sample: written, job });
      return 1;
    }
    // The merge's duplicate groups and the plan's rules (thresholds as the merge resolved them), so the
    // project keeps and removes the sampled items as the merge did.
    const name = path.basename(written.file);
    const groups = written.groups.map((g) => ({ kind: g.kind, keeper: `${name}/${g.keeper}`, members: g.members.map((m) => `${name}/${m}`) }));
    const adopted = await session.client.call('duplicates.adopt', { sourceId: source.id, kinds: ['exact', 'phash', 'semantic'], groups });
    const { plan, merged } = await resultPlan(result);
    const selection = plan.rules.length ? await session.client.call('selection.save', { name: plan.name.slice(0, 120), rules: resolvedRules(plan.rules, merged.selection) }) : null;
    ctx.print(
      `project ${dir}: ${after.itemCount} items from the merged result with their signals and ${adopted.groups} duplicate groups`
        + `${selection ? `; selection "${selection.name}" (the plan's rules) keeps ${selection.kept}` : ''}; open it with winnow start --project ${dir}`,
      { project: dir, source: after, sample: { ...written, groups: written.groups.length }, job, duplicates: adopted, selection },
    );
    return 0;
  });
}

/** `winnow cluster search "text" --plan FILE --shards N [--k K]`: text search over every shard's own index. */
async function searchShardsCommand(ctx: CommandContext, text: string | undefined): Promise<number> {
  if (!text?.trim()) throw new Error('usage: winnow cluster search "text" --plan FILE --shards N [--k K]');
  const plan = await readPlan(ctx.values.plan);
  const count = numberOption(ctx.values.shards, 'shards');
  if (!count || !Number.isInteger(count) || count < 1) throw new Error('--shards N (the N of the run) is needed');
  const k = numberOption(ctx.values.k, 'k') ?? 20;
  const model = await loadShardModel(plan.model);
  try {
    const query = (await model.model.embedTexts([text])).slice(0, model.model.dim);
    const hits = await searchShards(await openStorage(plan.output), count, query, k);
    ctx.print(hits.map((h) => `${h.score.toFixed(4)}  ${h.key}  (${h.shard})`).join('\n') || 'no hits', hits);
    return 0;
  } finally {
    await model.model.dispose();
  }
}
