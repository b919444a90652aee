import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../../main/domain/errors';
import { resolveSelection, selectionCounts } from '../curate/selection';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import { checkDestination, makePartial, publish, removeStalePartials, safeJoin } from './atomic';
import { datasetCard } from './card';
import { exportFormat } from './formats';
import { ItemReader } from './item-reader';
import { resolveOptions, type ExportRecord, type WriterContext } from './types';

export const ExportParams = z.object({ format: z.string().min(1), dest: z.string().min(1), selection: z.string().nullable(), options: z.record(z.string(), z.unknown()) });
export type ExportParams = z.output<typeof ExportParams>;
/** None: an export is written to a partial folder and renamed into place, so a resumed export starts over. */
const ExportCheckpoint = z.null();
const ExportResult = z.object({ dest: z.string(), format: z.string() });

const PROGRESS_EVERY = 256;
const READ_AHEAD = 16;

/** Validates an export request before a job is created (bad format/options/destination fail the call, not the job). */
export async function validateExport(project: Project, params: ExportParams): Promise<ExportParams> {
  const spec = exportFormat(project, params.format);
  let options;
  try {
    options = resolveOptions(spec.options, params.options);
  } catch (err) {
    throw new ApiError('bad_input', (err as Error).message);
  }
  if (params.selection !== null) selectionCounts(project, params.selection);
  const problem = spec.check?.(options);
  if (problem) throw new ApiError('bad_input', problem);
  const dest = path.resolve(params.dest);
  try {
    await checkDestination(dest, options.overwrite === true);
  } catch (err) {
    throw new ApiError('bad_input', (err as Error).message);
  }
  return { ...params, dest, options };
}

/** Counts an export would write, without writing: for the Export dialog's preview. */
export function previewExport(project: Project, format: string, selection: string | null, options: Record<string, unknown> = {}) {
  const spec = exportFormat(project, format);
  const opts = resolveOptions(spec.options, options);
  const problem = spec.check?.(opts);
  if (problem) throw new ApiError('bad_input', problem);
  const counts = selectionCounts(project, selection);
  // Annotation counts over the selected items, by state (review decisions applied below).
  const byState = new Map<string, number>();
  let remote = 0;
  const stmtAnn = project.db.prepare('SELECT state, count(*) n FROM annotations WHERE item_id = ? GROUP BY state');
  const stmtRemote = project.db.prepare(`SELECT (uri LIKE 'http://%' OR uri LIKE 'https://%') AND (provenance IS NULL OR json_extract(provenance, '$.downloaded') IS NULL) FROM items WHERE id = ?`).pluck();
  for (const id of resolveSelection(project, selection)) {
    for (const r of stmtAnn.all(id) as { state: string; n: number }[]) byState.set(r.state, (byState.get(r.state) ?? 0) + r.n);
    if (stmtRemote.get(id)) remote++;
  }
  const kept = (byState.get('source') ?? 0) + (byState.get('accepted') ?? 0) + (byState.get('edited') ?? 0) + (opts.includeProposed ? byState.get('proposed') ?? 0 : 0);
  return {
    format: spec.id, total: counts.total, selected: counts.kept, removedBySelection: counts.removed,
    withoutImage: remote, willWrite: spec.needsImages ? counts.kept - remote : counts.kept,
    annotations: { kept, rejected: byState.get('rejected') ?? 0, proposed: byState.get('proposed') ?? 0 },
  };
}

/** The export job: streams the selection through a format writer into a partial folder, then renames it into place. */
export function exportJob(project: Project) {
  return defineJob({
    kind: 'export',
    params: ExportParams, checkpoint: ExportCheckpoint, result: ExportResult,
    title: (p) => `Export ${p.format} → ${path.basename(p.dest)}`,
    async run(ctx) {
      const { format, dest, selection } = ctx.params;
      const spec = exportFormat(project, format);
      const options = resolveOptions(spec.options, ctx.params.options);
      const overwrite = options.overwrite === true;
      // A resumed export starts over: what a killed run wrote is only ever in a partial folder.
      await removeStalePartials(dest);
      await checkDestination(dest, overwrite);
      const partial = await makePartial(dest);
      let published = false;
      try {
        const total = selectionCounts(project, selection).kept;
        ctx.setTotal(total);
        const warned = new Set<string>();
        const wctx: WriterContext = {
          dir: partial, file: (rel) => safeJoin(partial, rel), options, total, signal: ctx.signal,
          warn: (message, itemId) => {
            if (warned.size > 1000 || warned.has(message)) return;
            warned.add(message);
            ctx.issue({ severity: 'warning', kind: 'export_skipped', message, itemId: itemId ?? null });
          },
        };
        const writer = await spec.create(wctx);
        const includeProposed = options.includeProposed === true;
        const ann = { kept: 0, droppedRejected: 0, droppedProposed: 0, byLabel: new Map<string, number>() };
        let index = 0;
        let added = 0;
        const reader = new ItemReader(project);
        const prefetch = spec.needsImages || options.includeImages === true || options.copyImages === true;
        const queue: ExportRecord[] = [];
        const addNext = async () => {
          ctx.signal.throwIfAborted();
          await writer.add(queue.shift()!);
          if (++added % PROGRESS_EVERY === 0) ctx.progress(added);
        };
        for (const id of resolveSelection(project, selection)) {
          ctx.signal.throwIfAborted();
          const loaded = reader.get(id);
          if (!loaded) continue;
          const { item, provenance } = loaded;
          const all = project.annotations.forItem(id);
          const annotations = all.filter((a) => a.state !== 'rejected' && (includeProposed || a.state !== 'proposed'));
          ann.droppedRejected += all.filter((a) => a.state === 'rejected').length;
          ann.droppedProposed += includeProposed ? 0 : all.filter((a) => a.state === 'proposed').length;
          ann.kept += annotations.length;
          for (const a of annotations) ann.byLabel.set(a.label, (ann.byLabel.get(a.label) ?? 0) + 1);
          let pending: Promise<Buffer | null> | null = null;
          const bytes = () => (pending ??= reader.bytes(item, provenance).catch((err: Error) => {
            wctx.warn(`item ${id} (${item.key}) has no image to export: ${err.message}`, id);
            return null;
          }));
          // Read-ahead: the next few items' bytes are read while the writer works on this one (bounded by READ_AHEAD).
          if (prefetch) void bytes();
          queue.push({ index: index++, item, annotations, provenance, bytes });
          if (queue.length > READ_AHEAD) await addNext();
        }
        while (queue.length) await addNext();
        ctx.signal.throwIfAborted();
        const summary = await writer.finish();
        ctx.signal.throwIfAborted();
        await writeFile(safeJoin(partial, 'README.md'), datasetCard({ project, format: spec, selection, options, selected: total, summary, annotations: ann, date: new Date() }));
        ctx.progress(index);
        await publish(partial, dest, overwrite);
        published = true;
      } finally {
        if (!published) await rm(partial, { recursive: true, force: true });
      }
      return { dest, format };
    },
  });
}
