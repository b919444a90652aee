// The `search.index` job: builds and saves the ANN index (usearch HNSW) over a model's committed image rows,
// which search uses when an exact scan would be slow (search.ts). Started by a search that found the
// index missing or stale on a project that large; the search itself scans exactly meanwhile.
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import { ANN_DEFAULTS, buildIndex, rowsDigest, saveIndex } from './ann-index';
import { requireSet } from './embedding-pages';
import { imageRows, indexFile } from './semantic-job';

export const SEARCH_INDEX_JOB = 'search.index';

const Params = z.object({ model: z.string().min(1) });
const Result = z.object({ rows: z.number().int() });

export function searchIndexJob(project: Project) {
  return defineJob({
    kind: SEARCH_INDEX_JOB,
    params: Params,
    checkpoint: z.null(),
    result: Result,
    title: (p) => `Search index for ${p.model}`,
    async run(ctx) {
      const set = requireSet(project, ctx.params.model);
      const src = imageRows(project, set);
      try {
        ctx.setTotal(src.rows);
        const index = await buildIndex(src, {}, (done) => ctx.progress(done), ctx.signal);
        ctx.signal.throwIfAborted();
        saveIndex(index, indexFile(project, set), { rows: src.rows, dim: set.dim, model: set.model, options: ANN_DEFAULTS, builtAt: new Date().toISOString(), digest: rowsDigest(src) });
        return { rows: src.rows };
      } finally {
        src.close();
      }
    },
  });
}
