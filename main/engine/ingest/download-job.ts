import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DownloadOptions } from '../../domain/downloads';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import { fetchImage, type FetchResult } from './fetch-image';

export const DownloadParams = z.object({ sourceId: z.number().int().positive().nullable(), options: DownloadOptions.extend({ backoffMs: z.number().int().nonnegative().optional() }) });
export type DownloadParams = z.output<typeof DownloadParams>;
const DownloadCheckpoint = z.object({ lastId: z.number().int(), done: z.number().int() });
const DownloadResult = z.object({ attempted: z.number().int() });

const PENDING = `(uri LIKE 'http://%' OR uri LIKE 'https://%') AND (provenance IS NULL OR json_extract(provenance, '$.downloaded') IS NULL)`;

/** Items with a URL and no downloaded file yet (optionally of one source), after `afterId`. */
export function pendingDownloads(project: Project, sourceId: number | null, afterId = 0, limit = -1): { id: number; uri: string }[] {
  return project.db.prepare(`SELECT id, uri FROM items WHERE ${PENDING} AND (? IS NULL OR source_id = ?) AND id > ? ORDER BY id LIMIT ?`)
    .all(sourceId, sourceId, afterId, limit) as { id: number; uri: string }[];
}

export function countPendingDownloads(project: Project, sourceId: number | null): number {
  return project.db.prepare(`SELECT count(*) FROM items WHERE ${PENDING} AND (? IS NULL OR source_id = ?)`).pluck().get(sourceId, sourceId) as number;
}

/** How many URL items ended in each download status (ok, http_404, timeout, ...). */
export function downloadStatuses(project: Project): Record<string, number> {
  const rows = project.db.prepare(`SELECT json_extract(provenance, '$.download_status') s, count(*) n FROM items WHERE json_extract(provenance, '$.download_status') IS NOT NULL GROUP BY s`).all() as { s: string; n: number }[];
  return Object.fromEntries(rows.map((r) => [r.s, r.n]));
}

/**
 * Downloads the images of URL-only items into `<project>/downloads/`, img2dataset style: bounded concurrency, timeouts, retries
 * with backoff, size cap, content-type and decode checks, optional resize. Each URL's status and error land in the item's
 * provenance and metadata (and failures in issues); batches are committed with a checkpoint, so a killed job resumes.
 */
export function downloadJob(project: Project) {
  return defineJob({
    kind: 'download',
    params: DownloadParams, checkpoint: DownloadCheckpoint, result: DownloadResult,
    title: (p) => `Download images${p.sourceId ? ` of ${project.sources.get(p.sourceId)?.name ?? `source ${p.sourceId}`}` : ''}`,
    async run(ctx) {
      const o = ctx.params.options;
      let lastId = ctx.checkpoint?.lastId ?? 0;
      let done = ctx.checkpoint?.done ?? 0;
      ctx.setTotal(done + countPendingDownloads(project, ctx.params.sourceId));
      const update = project.db.prepare(`UPDATE items SET format = ?, width = ?, height = ?, bytes = ?, sha256 = ?,
        provenance = json_patch(coalesce(provenance, '{}'), ?), extra = json_patch(coalesce(extra, '{}'), ?) WHERE id = ?`);
      const mark = project.db.prepare(`UPDATE items SET provenance = json_patch(coalesce(provenance, '{}'), ?), extra = json_patch(coalesce(extra, '{}'), ?) WHERE id = ?`);
      for (;;) {
        const batch = pendingDownloads(project, ctx.params.sourceId, lastId, o.concurrency * 4);
        if (!batch.length) break;
        const results = new Array<FetchResult & { file?: string }>(batch.length);
        let next = 0;
        const worker = async () => {
          while (next < batch.length) {
            const i = next++;
            const { id, uri } = batch[i];
            const r = await fetchImage(uri, o, ctx.signal);
            if (r.ok) {
              const ext = r.probe.format === 'jpg' ? 'jpg' : r.probe.format;
              const rel = path.posix.join('downloads', String(Math.floor(id / 1000)), `${id}.${ext}`);
              const file = path.join(project.dir, rel);
              await mkdir(path.dirname(file), { recursive: true });
              await writeFile(`${file}.tmp`, r.data);
              await rename(`${file}.tmp`, file);
              results[i] = { ...r, file: rel };
            } else results[i] = r;
          }
        };
        await Promise.all(Array.from({ length: Math.min(o.concurrency, batch.length) }, worker));
        lastId = batch[batch.length - 1].id;
        done += batch.length;
        ctx.commit(() => {
          const now = new Date().toISOString();
          batch.forEach(({ id, uri }, i) => {
            const r = results[i];
            if (r.ok) {
              const status = { download_status: 'success', download_error: null, http_status: r.httpStatus, download_attempts: r.attempts, downloaded_at: now, resized: r.resized };
              update.run(r.probe.format, r.probe.width, r.probe.height, r.probe.bytes, r.probe.sha256, JSON.stringify({ ...status, downloaded: r.file }), JSON.stringify({ download_status: 'success' }), id);
            } else {
              mark.run(JSON.stringify({ download_status: r.status, download_error: r.error, http_status: r.httpStatus, download_attempts: r.attempts, downloaded_at: now }),
                JSON.stringify({ download_status: r.status, download_error: r.error }), id);
              const item = project.items.get(id);
              project.issues.add({ kind: 'download_failed', message: `${uri}: ${r.status}: ${r.error}`, itemId: id, sourceId: item?.sourceId ?? null, jobId: ctx.jobId, location: uri });
            }
          });
        }, done, { lastId, done });
        project.notifyItemsChanged(ctx.params.sourceId, 0, results.some((r) => !r.ok));
      }
      return { attempted: done };
    },
  });
}
