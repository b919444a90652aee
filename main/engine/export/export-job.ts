import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError } from '../../domain/errors';
import { selectionCounts } from '../curate/selection';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import { checkDestination, destinationOwner, lockDestination, makePartial, publish, removeStalePartials, safeJoin } from './atomic';
import { datasetCard } from './card';
import { exportFormat } from './formats';
import { RecordPageReader, selectionPages, undecodableOfPage } from './record-page';
import { resolveOptions, type ExportRecord, type ExportScore, type FormatWriter, type WriterContext } from './types';
import { chosenScores, signalNames } from './parquet';

export const ExportParams = z.object({ format: z.string().min(1), dest: z.string().min(1), selection: z.string().nullable(), options: z.record(z.string(), z.unknown()) });
export type ExportParams = z.output<typeof ExportParams>;
/** None: an export is written to a partial folder and renamed into place, so a resumed export starts over. */
const ExportCheckpoint = z.null();
const ExportResult = z.object({ dest: z.string(), format: z.string() });

const PROGRESS_EVERY = 256;
/** Errors that mean the destination cannot take the bytes (disk full, quota, file too large, read-only, I/O). */
const WRITE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE']);
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
  const owner = destinationOwner(dest);
  if (owner) throw new ApiError('conflict', `another export (process ${owner.pid}${owner.job !== null ? `, job ${owner.job}` : ''}) is writing to ${dest}; wait for it or choose another folder`);
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
  let undecodable = 0;
  // A page of ids at a time, one statement per table per page (as the export job reads), not three per item.
  const stmtUndecodable = undecodableOfPage(project);
  const stmtAnn = project.db.prepare('SELECT state, count(*) n FROM annotations WHERE item_id IN (SELECT value FROM json_each(?)) GROUP BY state');
  const stmtRemote = project.db.prepare(`SELECT count(*) FROM items WHERE id IN (SELECT value FROM json_each(?))
    AND (uri LIKE 'http://%' OR uri LIKE 'https://%') AND (provenance IS NULL OR json_extract(provenance, '$.downloaded') IS NULL)`).pluck();
  for (const ids of selectionPages(project, selection)) {
    let json = JSON.stringify(ids);
    if (opts.includeUndecodable !== true) {
      const bad = new Set(stmtUndecodable.all(json) as number[]);
      if (bad.size) { undecodable += bad.size; json = JSON.stringify(ids.filter((id) => !bad.has(id))); }
    }
    for (const r of stmtAnn.all(json) as { state: string; n: number }[]) byState.set(r.state, (byState.get(r.state) ?? 0) + r.n);
    remote += stmtRemote.get(json) as number;
  }
  const kept = (byState.get('source') ?? 0) + (byState.get('accepted') ?? 0) + (byState.get('edited') ?? 0) + (opts.includeProposed ? byState.get('proposed') ?? 0 : 0);
  return {
    format: spec.id, total: counts.total, selected: counts.kept, removedBySelection: counts.removed,
    withoutImage: remote, willWrite: (spec.needsImages ? counts.kept - remote : counts.kept) - undecodable,
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
      await checkDestination(dest, overwrite);
      // The destination belongs to this job until it ends: a second export to it is refused, not allowed to delete our partial folder.
      const release = lockDestination(dest, ctx.jobId);
      let partial: string | null = null;
      let writer: FormatWriter | null = null;
      let published = false;
      try {
        // A resumed export starts over: what a killed or failed run wrote is only ever in a partial folder, removed here.
        await removeStalePartials(dest);
        partial = await makePartial(dest);
        const dir = partial;
        const total = selectionCounts(project, selection).kept;
        ctx.setTotal(total);
        const warned = new Set<string>();
        const wctx: WriterContext = {
          dir, file: (rel) => safeJoin(dir, rel), options, total, signal: ctx.signal,
          warn: (message, itemId) => {
            if (warned.size > 1000 || warned.has(message)) return;
            warned.add(message);
            // Located by its message (it names the item): exporting the same bad item again does not re-report it.
            ctx.issue({ severity: 'warning', kind: 'export_skipped', message, itemId: itemId ?? null, location: message.slice(0, 1000) });
          },
        };
        writer = await spec.create(wctx);
        const w = writer;
        const includeProposed = options.includeProposed === true;
        const review = { droppedRejected: 0, droppedProposed: 0, undecodable: 0 };
        const scoreNames = chosenScores(project, options.scores);
        const pages = new RecordPageReader(project, signalNames(project).length ? scoreNames : []);
        const reader = pages.reader;
        const sourceNames = new Map(project.sources.list().map((src) => [src.id, src.name]));
        let index = 0;
        let added = 0;
        const prefetch = spec.needsImages || options.includeImages === true || options.copyImages === true;
        const queue: ExportRecord[] = [];
        const addNext = async () => {
          ctx.signal.throwIfAborted();
          await w.add(queue.shift()!);
          if (++added % PROGRESS_EVERY === 0) ctx.progress(added);
        };
        const includeUndecodable = options.includeUndecodable === true;
        const exportPage = async (ids: readonly number[]) => {
          const page = pages.read(ids, includeUndecodable);
          for (const id of ids) {
            ctx.signal.throwIfAborted();
            if (page.undecodable.has(id)) { review.undecodable++; continue; }
            const loaded = page.items.get(id);
            if (!loaded) continue;
            const { item, provenance } = loaded;
            const all = page.annotations.get(id) ?? [];
            const annotations = all.filter((a) => a.state !== 'rejected' && (includeProposed || a.state !== 'proposed'));
            review.droppedRejected += all.filter((a) => a.state === 'rejected').length;
            review.droppedProposed += includeProposed ? 0 : all.filter((a) => a.state === 'proposed').length;
            const scores = page.scores.get(id) ?? [];
            let pending: Promise<Buffer | null> | null = null;
            const bytes = () => (pending ??= reader.bytes(item, provenance).catch((err: Error) => {
              wctx.warn(`item ${id} (${item.key}) has no image to export: ${err.message}`, id);
              return null;
            }));
            // Read-ahead: the next few items' bytes are read while the writer works on this one (bounded by READ_AHEAD).
            if (prefetch) void bytes();
            queue.push({ index: index++, item, annotations, scores, source: sourceNames.get(item.sourceId) ?? null, provenance, bytes });
            if (queue.length > READ_AHEAD) await addNext();
          }
        };
        // The selection a page at a time: one page's rows are in memory at once, whatever the selection's size.
        for (const ids of selectionPages(project, selection)) await exportPage(ids);
        while (queue.length) await addNext();
        ctx.signal.throwIfAborted();
        const summary = await w.finish();
        writer = null;
        ctx.signal.throwIfAborted();
        await writeFile(safeJoin(dir, 'README.md'), datasetCard({ project, format: spec, selection, options, selected: total, summary, review, scoreNames, date: new Date() }));
        ctx.progress(index);
        await publish(dir, dest, overwrite);
        published = true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code && WRITE_ERRORS.has(code)) {
          throw new Error(`writing the export to ${dest} failed: ${(err as Error).message}. The partial output was removed; resume the job once the problem (e.g. free space) is fixed`);
        }
        throw err;
      } finally {
        // A write error (disk full, file too large, I/O error) or a cancel: close what is open, remove the partial folder, release.
        if (writer?.abort) await Promise.resolve(writer.abort()).catch(() => undefined);
        if (!published && partial) await rm(partial, { recursive: true, force: true }).catch(() => undefined);
        release();
      }
      return { dest, format };
    },
  });
}
