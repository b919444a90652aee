import { createHash } from 'node:crypto';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import { recordUndecodable } from '../media/undecodable';
import type { EmbeddingSet } from '../store/embeddings';
import type { ActiveModel } from './active-model';
import { embedImageFiles } from './embed-files';
import type { PreprocessInput } from './preprocess';
import { ITEM_SOURCE_COLUMNS, itemInputs, LOCAL_ITEMS, type ItemSourceRow } from './item-inputs';

export const EmbedParams = z.object({ model: z.string().min(1) });
export type EmbedParams = z.output<typeof EmbedParams>;
const EmbedCheckpoint = z.object({ lastItemId: z.number().int() });
/** The model's canonical id and how many image rows its embedding set holds. */
const EmbedResult = z.object({ model: z.string(), imageRows: z.number().int() });

const ID_PAGE = 512;

export function captionHash(caption: string): string {
  return createHash('sha256').update(caption).digest('hex');
}

/**
 * Embeds every image and caption of the project with one model into its matrices. Items are taken in id
 * order; each batch's rows, row maps and checkpoint commit together, so a killed run resumes exactly.
 */
export function embedJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: 'embed',
    writes: ['embeddings'],
    params: EmbedParams, checkpoint: EmbedCheckpoint, result: EmbedResult,
    title: (p) => `Embed with ${p.model}`,
    async run(ctx) {
      const { id, model, hash } = await active.get(ctx.params.model);
      const store = project.embeddings;
      const set = store.ensureSet(id, model.dim, hash);
      const images = store.matrix(set, 'image');
      const texts = store.matrix(set, 'text');
      try {
        const committed = store.committedRows(set);
        images.truncate(committed.image);
        texts.truncate(committed.text);
        let nextImageRow = committed.image;
        let nextTextRow = committed.text;
        // URL-only items are embedded once the download job has fetched them.
        ctx.setTotal((project.db.prepare(`SELECT count(*) n ${LOCAL_ITEMS}`).get() as { n: number }).n);
        let done = (project.db.prepare(`SELECT count(*) n ${LOCAL_ITEMS} AND i.id <= ?`).get(ctx.checkpoint?.lastItemId ?? 0) as { n: number }).n;

        const pending = project.db.prepare(`SELECT ${ITEM_SOURCE_COLUMNS}, c.text caption ${LOCAL_ITEMS.replace('FROM items i', 'FROM items i LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1')}
          AND i.id > ? AND NOT EXISTS (SELECT 1 FROM embedding_rows r WHERE r.set_id = ? AND r.item_id = i.id) ORDER BY i.id LIMIT ?`);
        // Items in stream order; the embedder reports positions in this stream.
        const queue: { id: number; caption: string | null }[] = [];
        // Items whose file cannot be found are not sent to the embedder; they are recorded with the next batch.
        const missing: { id: number; reason: string }[] = [];
        let cursor = ctx.checkpoint?.lastItemId ?? 0;
        const inputOf = itemInputs(project, model.preprocess, true);
        // Plain files go to the workers as paths (they read them); images inside tars or parquet go as bytes.
        async function* paths(): AsyncGenerator<PreprocessInput> {
          for (;;) {
            const page = pending.all(cursor, set.id, ID_PAGE) as (ItemSourceRow & { caption: string | null })[];
            if (page.length === 0) return;
            for (const row of page) {
              cursor = row.id;
              try {
                // Small models read the input the import-time pass left (inputs-job.ts); else a covering thumbnail or the file is decoded.
                const input = await inputOf(row);
                queue.push({ id: row.id, caption: row.caption });
                yield input;
              } catch (err) {
                missing.push({ id: row.id, reason: (err as Error).message });
              }
            }
          }
        }
        const recordFailure = (itemId: number, reason: string) => {
          recordUndecodable(project, itemId, reason, { jobId: ctx.jobId, what: 'cannot embed' });
        };

        let consumed = 0;
        for await (const batch of embedImageFiles(model, paths(), { signal: ctx.signal })) {
          const batchItems = queue.splice(0, batch.indexes.length + batch.errors.length);
          const base = consumed;
          consumed += batchItems.length;
          const byIndex = (index: number) => batchItems[index - base];
          const rows = batch.indexes.map((index) => byIndex(index));
          const newTexts = await embedMissingCaptions(rows.map((r) => r.caption), set, store, model.embedTexts.bind(model));
          const imageRow = nextImageRow;
          images.write(imageRow, batch.embeddings);
          const textRowStart = nextTextRow;
          if (newTexts.vectors.length) texts.write(textRowStart, newTexts.vectors);
          const skipped = missing.splice(0);
          const lastItemId = Math.max(batchItems.at(-1)?.id ?? 0, skipped.at(-1)?.id ?? 0);
          done += batchItems.length + skipped.length;
          ctx.commit(() => {
            newTexts.hashes.forEach((h, k) => store.addText(set, h, textRowStart + k));
            rows.forEach((row, k) => {
              const textRow = row.caption ? store.textRow(set, captionHash(row.caption)) ?? null : null;
              store.addItem(set, row.id, imageRow + k, textRow);
            });
            for (const e of batch.errors) recordFailure(byIndex(e.index).id, e.reason);
            for (const m of skipped) recordFailure(m.id, m.reason);
          }, done, { lastItemId });
          nextImageRow += rows.length;
          nextTextRow += newTexts.hashes.length;
          if (batch.errors.length || skipped.length) project.notifyItemsChanged(null, 0, true);
        }
        if (missing.length) {
          const skipped = missing.splice(0);
          ctx.commit(() => skipped.forEach((m) => recordFailure(m.id, m.reason)), done + skipped.length, { lastItemId: skipped.at(-1)!.id });
          project.notifyItemsChanged(null, 0, true);
        }
      } finally {
        images.close();
        texts.close();
      }
      return { model: id, imageRows: store.committedRows(set).image };
    },
  });
}

/** Embeds the captions this set has not seen yet (cached by caption hash, so repeats cost nothing). */
async function embedMissingCaptions(
  captions: (string | null)[],
  set: EmbeddingSet,
  store: Project['embeddings'],
  embedTexts: (t: readonly string[]) => Promise<Float32Array>,
): Promise<{ hashes: string[]; vectors: Float32Array }> {
  const unique = new Map<string, string>();
  for (const c of captions) {
    if (c === null) continue;
    const h = captionHash(c);
    if (!unique.has(h) && store.textRow(set, h) === undefined) unique.set(h, c);
  }
  if (unique.size === 0) return { hashes: [], vectors: new Float32Array(0) };
  return { hashes: [...unique.keys()], vectors: await embedTexts([...unique.values()]) };
}
