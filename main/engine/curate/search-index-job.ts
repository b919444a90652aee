// The `search.index` job: builds and saves the ANN index (usearch HNSW) over a model's committed image rows,
// which search uses when an exact scan would be slow (search.ts), then measures the index's recall@10 vs the
// exact scan on probe queries like the real ones and records it in the sidecar (ann-recall.ts): search trusts
// the index only when that passes. Started by a search that found the index missing, stale or unmeasured on a
// project that large; an index already current and only unmeasured is measured, not rebuilt. The search itself
// scans exactly meanwhile.
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { ANN_DEFAULTS, buildIndex, type IndexMeta, loadIndex, readIndexMeta, rowsDigest, saveIndex, saveIndexMeta } from './ann-index';
import { measureRecall, RECALL_K, RECALL_PROBES, type RecallMeasure, spreadRows } from './ann-recall';
import { requireSet } from './embedding-pages';
import { textProbes } from './recall-probes';
import { SEARCH_EXPANSION, SEARCH_POOL, savedIndex } from './search';
import { imageRows, indexFile } from './semantic-job';

export const SEARCH_INDEX_JOB = 'search.index';

const Params = z.object({ model: z.string().min(1) });
const Result = z.object({ rows: z.number().int(), built: z.boolean(), recall: z.number() });

export function searchIndexJob(project: Project, active: ActiveModel) {
  return defineJob({
    kind: SEARCH_INDEX_JOB,
    params: Params,
    checkpoint: z.null(),
    result: Result,
    title: (p) => `Search index for ${p.model}`,
    async run(ctx) {
      const set = requireSet(project, ctx.params.model);
      const file = indexFile(project, set);
      const src = imageRows(project, set);
      try {
        ctx.setTotal(src.rows);
        let meta: IndexMeta | null = savedIndex(project, set, src.rows).state === 'current' ? readIndexMeta(file) : null;
        const built = meta === null;
        if (!meta) {
          const index = await buildIndex(src, {}, (done) => ctx.progress(done), ctx.signal);
          ctx.signal.throwIfAborted();
          meta = { rows: src.rows, dim: set.dim, model: set.model, options: ANN_DEFAULTS, builtAt: new Date().toISOString(), digest: rowsDigest(src) };
          saveIndex(index, file, meta);
        }
        // Measured on the saved file as search maps it, with search's beam and pool.
        const index = loadIndex(file, src.rows, set.dim, { view: true, expansionSearch: SEARCH_EXPANSION });
        if (!index) throw new Error(`${file}: the index just saved does not load`);
        const text = await textProbes(project, set, active, RECALL_PROBES);
        ctx.signal.throwIfAborted();
        const images = spreadRows(src, RECALL_PROBES);
        const textRecall = text.length ? await measureRecall(index, src, text, RECALL_K, SEARCH_POOL, ctx.signal) : undefined;
        const imageRecall = await measureRecall(index, src, images, RECALL_K, SEARCH_POOL, ctx.signal);
        const recall: RecallMeasure = {
          recall: Math.min(textRecall ?? 1, imageRecall), probes: text.length + images.length, beam: SEARCH_EXPANSION, pool: SEARCH_POOL, k: RECALL_K,
          ...(textRecall !== undefined && { text: textRecall }), images: imageRecall, measuredAt: new Date().toISOString(),
        };
        ctx.signal.throwIfAborted();
        saveIndexMeta(file, { ...meta, recall });
        ctx.progress(src.rows);
        return { rows: src.rows, built, recall: recall.recall };
      } finally {
        src.close();
      }
    },
  });
}
