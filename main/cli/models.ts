import type { ModelInfoT, ValidationReportT } from '../api/methods/models';
import { createDispatch } from '../api/handlers';
import { Engine } from '../engine/engine';
import type { PullResult } from '../engine/vision/model-manager';
import type { CommandContext } from './commands';
import { ProgressBar, formatBytes } from './progress-bar';
import { modelSettingsCommand } from './model-settings';

const USAGE = 'usage: winnow models list | pull ID [--dtype D] | add|import PATH [--id ID] | rm ID | validate ID [--dtype D] | choices | choose TASK MODEL | calibration [--model ID] | calibrate --model ID --set key=value';

/** Sub-commands about the project's settings (main/cli/model-settings.ts), not the models folder. */
const PROJECT_SUBCOMMANDS = new Set(['choices', 'choose', 'calibration', 'calibrate']);

function sizes(model: ModelInfoT): string {
  if (model.installedDtypes.length > 0) return model.installedDtypes.map((d) => `${d.dtype} ${formatBytes(d.bytes)}`).join(', ');
  return model.offered.map((d) => `${d.dtype} ~${formatBytes(d.approxBytes)}`).join(', ');
}

export function formatModelTable(models: ModelInfoT[]): string {
  const rows = models.map((m) => [m.id, m.task, m.licence ?? '', m.builtin ? 'built-in' : m.installed ? 'installed' : '—', sizes(m)]);
  const header = ['ID', 'TASK', 'LICENCE', 'STATUS', 'SIZES (installed, else ~download)'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

export function formatReport(id: string, report: ValidationReportT): string {
  const lines = [`${report.ok ? '✔' : '✘'} ${id} (${report.task}${report.dtype ? `, ${report.dtype}` : ''}) in ${report.folder}`];
  for (const graph of report.graphs) {
    const io = (list: typeof graph.inputs) => list.map((t) => `${t.name} ${t.type}[${t.shape.join(',')}]`).join(', ');
    lines.push(`  ${graph.file} on ${graph.provider}`, `    in:  ${io(graph.inputs)}`, `    out: ${io(graph.outputs)}`);
  }
  if (report.head) lines.push(`  classification head over ${report.head.embeddingModel} (${report.head.dim}-d): ${report.head.classes.length} classes, ${report.head.method} trained on ${report.head.trainingSize} reviews, accuracy ${(report.head.accuracy * 100).toFixed(1)}% (zero-shot ${(report.head.zeroShotAccuracy * 100).toFixed(1)}%)`);
  if (report.clip) lines.push(`  embeddings ${report.clip.dim}-d, image ${report.clip.imageSize.join('×')}, text ${report.clip.sequenceLength} tokens, logit scale ${report.clip.logitScale.toFixed(2)}`);
  for (const problem of report.problems) lines.push(`  problem: ${problem}`);
  return lines.join('\n');
}

const VERIFIED_BY: Record<string, string> = {
  registry: 'matched a sha256 pinned in the registry',
  lock: 'matched the sha256 recorded in models.lock.json at the first download',
  etag: 'matched only the sha256 the server announced (first download; now recorded in models.lock.json)',
  unverified: 'had no sha256 to check against (first download; now recorded in models.lock.json)',
};

/** Exactly what was checked, per kind of check: "sha256-verified" is never claimed for a hash the server chose. */
export function describeVerification(files: PullResult['files']): string {
  const counts = new Map<string, number>();
  for (const f of files) counts.set(f.verification, (counts.get(f.verification) ?? 0) + 1);
  return [...counts].map(([kind, n]) => `${n} ${n === 1 ? 'file' : 'files'} ${VERIFIED_BY[kind] ?? kind}`).join('; ');
}

/** `winnow models …`: the same API methods the UI calls, validated by the same contract. */
export async function modelsCommand(ctx: CommandContext): Promise<number> {
  const [sub, target] = ctx.args;
  if (PROJECT_SUBCOMMANDS.has(sub)) return modelSettingsCommand(ctx, sub);
  const engine = new Engine('cli');
  const call = createDispatch(engine);
  try {
    switch (sub) {
      case 'list':
      case 'ls': {
        const models = (await call('models.list', {})) as ModelInfoT[];
        ctx.print(formatModelTable(models), models);
        return 0;
      }
      case 'pull': {
        if (!target) throw new Error(USAGE);
        const started = (await call('models.pull', { id: target, ...(ctx.values.dtype ? { dtype: ctx.values.dtype } : {}) })) as { id: number };
        const bar = ctx.values.json ? null : new ProgressBar('bytes');
        const off = engine.events.on('models.job', (job) => job.id === started.id && bar?.update(job));
        const stop = () => {
          process.stderr.write('\nstopping; run the same pull again to resume the download\n');
          engine.modelJobs.cancel(started.id);
        };
        process.once('SIGINT', stop);
        try {
          const { job, result } = await engine.modelJobs.wait(started.id);
          if (job.state !== 'done' || !result) {
            ctx.print(`pull of ${target} ${job.state}${job.error ? `: ${job.error}` : ''}`, { job });
            return 1;
          }
          const bytes = result.files.reduce((sum, f) => sum + f.bytes, 0);
          ctx.print(
            `${target} (${result.dtype}) installed in ${result.path}: ${result.files.length} files, ${formatBytes(bytes)}; ${describeVerification(result.files)}`,
            { job, id: result.id, path: result.path, dtype: result.dtype, files: result.files, report: result.report },
          );
          return 0;
        } finally {
          off();
          process.off('SIGINT', stop);
        }
      }
      case 'add':
      case 'import': {
        if (!target) throw new Error(USAGE);
        const result = (await call('models.import', { path: target, ...(ctx.values.id ? { id: ctx.values.id } : {}) })) as { id: string; report: ValidationReportT };
        ctx.print(formatReport(result.id, result.report), result);
        return 0;
      }
      case 'validate': {
        if (!target) throw new Error(USAGE);
        const report = (await call('models.validate', { id: target, ...(ctx.values.dtype ? { dtype: ctx.values.dtype } : {}) })) as ValidationReportT;
        ctx.print(formatReport(target, report), report);
        return report.ok ? 0 : 1;
      }
      case 'rm':
      case 'remove': {
        if (!target) throw new Error(USAGE);
        const result = await call('models.remove', { id: target });
        ctx.print(`removed ${target}`, result);
        return 0;
      }
      default:
        throw new Error(USAGE);
    }
  } finally {
    await engine.close();
  }
}
