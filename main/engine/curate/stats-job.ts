// The `curate.stats` job: per item, decode once at reduced size and compute pixel statistics and a
// pHash, plus caption and geometry statistics; then group exact and perceptual duplicates.
// Resumable: each batch's signals and the last item id are committed together (ctx.commit).
import sharp from '../media/lazy-sharp';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import { MAX_PIXELS } from '../ingest/probe';
import { readItemBytes } from '../media/resolve';
import { recordUndecodable } from '../media/undecodable';
import type { Project } from '../project';
import { computeDuplicates, DEFAULT_PHASH_K } from './duplicates';
import { captionStats, PHASH_SIZE, phash, type PixelStats, pixelStats } from './pixel-stats';
import { SIGNAL, SignalStore } from './signals';
import { mapLimit } from '../jobs/map-limit';

export const StatsParams = z.object({ force: z.boolean().optional(), k: z.number().int().min(0).max(64).optional() });
export type StatsParams = z.output<typeof StatsParams>;
const StatsCheckpoint = z.object({ lastId: z.number().int(), done: z.number().int() });
const StatsResult = z.object({ items: z.number().int() });

export const STATS_JOB = 'curate.stats';
/** Longest side the statistics are computed at: enough for blur and hashing, cheap to decode (shrink-on-load). */
export const STATS_MAX_SIDE = 256;
const BATCH = 64;
const DECODE_CONCURRENCY = 3;

// How each signal is measured, stored in the run, so a changed recipe is visible (and comparable) later.
const PIXEL_PARAMS = { maxSide: STATS_MAX_SIDE, grey: 'rec601' };
const SHARP_PARAMS = { maxSide: STATS_MAX_SIDE, kernel: 'laplace4', measure: 'variance' };
const BLUR_PARAMS = { maxSide: STATS_MAX_SIDE, method: 'crete-roffet-2007', box: 9 };
const EDGE_PARAMS = { maxSide: STATS_MAX_SIDE, method: 'marziliano-2002', strongest: 'p99/2', slope: 1 };
const CAPTION_PARAMS = { split: 'whitespace' };
/** Per signal name, in the stats run's params. */
const SIGNAL_PARAMS = {
  [SIGNAL.captionWords]: CAPTION_PARAMS, [SIGNAL.captionChars]: CAPTION_PARAMS, [SIGNAL.sharpness]: SHARP_PARAMS, [SIGNAL.blur]: BLUR_PARAMS,
  [SIGNAL.edgeWidth]: EDGE_PARAMS, [SIGNAL.brightness]: PIXEL_PARAMS, [SIGNAL.entropy]: PIXEL_PARAMS,
};

interface Row { id: number; key: string; source_id: number; uri: string; width: number | null; height: number | null; caption: string | null }

type Decoded = ({ id: number } & Measured) | { id: number; skipped: true };

async function decodeItem(project: Project, row: Row): Promise<Decoded> {
  let bytes: Buffer;
  try {
    // Bytes, not a path: tar members and parquet cells have no file of their own.
    ({ data: bytes } = await readItemBytes(project, row.id));
  } catch (err) {
    // A URL item not downloaded yet has no pixels to measure: not an error.
    if (/^https?:\/\//i.test(row.uri)) return { id: row.id, skipped: true };
    return { id: row.id, error: (err as Error).message };
  }
  return { id: row.id, ...(await measurePixels(bytes)) };
}

/** The signal each pixel statistic is stored as. */
export const PIXEL_SIGNALS: Record<keyof PixelStats, string> = {
  sharpness: SIGNAL.sharpness, blur: SIGNAL.blur, edgeWidth: SIGNAL.edgeWidth, brightness: SIGNAL.brightness, entropy: SIGNAL.entropy,
};

export type Measured = (PixelStats & { phash: string }) | { error: string };

/** One decode at reduced size → pixel statistics and pHash (the stats job's and a scale-out shard's per-item work). */
export async function measurePixels(bytes: Buffer | Uint8Array): Promise<Measured> {
  const decode = () => sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
    .rotate()
    .flatten({ background: '#808080' })
    .resize(STATS_MAX_SIDE, STATS_MAX_SIDE, { fit: 'inside', withoutEnlargement: true })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  try {
    // libvips keeps one error buffer for all its threads: a decode failing while others run can come back as
    // "Unknown error". Once more gives the decoder's real words for the issue.
    const { data, info } = await decode().catch((err: Error) => (/^unknown error$/i.test(err.message.trim()) ? decode() : Promise.reject(err)));
    const grey = info.channels === 1 ? data : pickChannel(data, info.channels);
    const stats = pixelStats(grey, info.width, info.height);
    // The hash works from the same decoded grey pixels: no second decode of the file.
    const small = await sharp(grey, { raw: { width: info.width, height: info.height, channels: 1 } })
      .resize(PHASH_SIZE, PHASH_SIZE, { fit: 'fill' }).greyscale().raw().toBuffer();
    return { ...stats, phash: phash(small) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function pickChannel(data: Buffer, channels: number): Buffer {
  const out = Buffer.allocUnsafe(data.length / channels);
  for (let i = 0, o = 0; o < out.length; i += channels, o++) out[o] = data[i];
  return out;
}

export function statsJob(project: Project) {
  return defineJob({
    kind: STATS_JOB,
    writes: ['signals', 'duplicates'],
    params: StatsParams, checkpoint: StatsCheckpoint, result: StatsResult,
    title: (p) => (p.force ? 'Image statistics and duplicates (all items)' : 'Image statistics and duplicates'),
    async run(ctx) {
      const db = project.db;
      const signals = new SignalStore(db);
      const k = ctx.params.k ?? DEFAULT_PHASH_K;
      const runId = project.runs.forJob(ctx.jobId, STATS_JOB, { params: { force: ctx.params.force ?? false, k, signals: SIGNAL_PARAMS, duplicates: { exact: { by: 'sha256' }, phash: { algo: 'dct64', k } } } });
      // Without force, only items not yet measured (caption.words is written for every item) are decoded.
      const unmeasured = ctx.params.force ? '1' : `i.id NOT IN (SELECT item_id FROM signals WHERE name = '${SIGNAL.captionWords}')`;
      const startId = ctx.checkpoint?.lastId ?? 0;
      let done = ctx.checkpoint?.done ?? 0;
      const remaining = db.prepare(`SELECT count(*) FROM items i WHERE i.id > ? AND ${unmeasured}`).pluck().get(startId) as number;
      ctx.setTotal(done + remaining);
      const next = db.prepare(
        `SELECT i.id, i.key, i.source_id, i.uri, i.width, i.height, c.text caption FROM items i
         LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1
         WHERE i.id > ? AND ${unmeasured} ORDER BY i.id LIMIT ${BATCH}`,
      );
      const putHash = db.prepare(`INSERT OR REPLACE INTO item_hashes (item_id, phash, algo) VALUES (?, ?, 'dct64')`);
      const dropPixel = db.prepare(`DELETE FROM signals WHERE item_id = ? AND name IN (?, ?, ?, ?, ?)`);
      const dropHash = db.prepare('DELETE FROM item_hashes WHERE item_id = ?');
      let lastId = startId;
      for (;;) {
        ctx.signal.throwIfAborted();
        const rows = next.all(lastId) as Row[];
        if (rows.length === 0) break;
        const decoded = await mapLimit(rows, DECODE_CONCURRENCY, (r) => decodeItem(project, r));
        lastId = rows[rows.length - 1].id;
        done += rows.length;
        let newIssues = false;
        ctx.commit(() => {
          rows.forEach((row, n) => {
            const cap = captionStats(row.caption);
            signals.set(row.id, SIGNAL.captionWords, cap.words, runId);
            signals.set(row.id, SIGNAL.captionChars, cap.chars, runId);
            if (row.width && row.height) {
              signals.set(row.id, SIGNAL.minSide, Math.min(row.width, row.height), runId);
              signals.set(row.id, SIGNAL.aspect, Math.max(row.width, row.height) / Math.min(row.width, row.height), runId);
            }
            const d = decoded[n];
            if ('error' in d) {
              // Unreadable: no pixel signals (pixel rules do not apply), one decode issue for the unreadable rule.
              dropPixel.run(row.id, ...Object.values(PIXEL_SIGNALS));
              dropHash.run(row.id);
              if (recordUndecodable(project, row.id, d.error, { jobId: ctx.jobId })) newIssues = true;
            } else if ('sharpness' in d) {
              for (const [stat, name] of Object.entries(PIXEL_SIGNALS)) signals.set(row.id, name, d[stat as keyof PixelStats], runId);
              putHash.run(row.id, d.phash);
            }
          });
        }, done, { lastId, done });
        if (newIssues) project.notifyItemsChanged(null, 0, true);
      }
      // Duplicates are a whole-dataset pass: one transaction, committed with the final progress.
      ctx.commit(() => {
        computeDuplicates(db, k, runId);
        project.runs.finish(runId);
      }, done, { lastId, done });
      project.notifyItemsChanged(null, 0, false);
      return { items: done };
    },
  });
}
