// The `search.index` job: builds and saves what search uses on a large project (search.ts). First the int8
// copy of the matrix (quantized-index.ts: seconds to build; the exact scan runs from it with only its codes
// resident, so it needs no measurement), then the HNSW graph (minutes to tens of minutes; sublinear), whose
// recall@10 vs the exact scan on probe queries like the real ones is measured and recorded in its sidecar
// (ann-recall.ts): search trusts the graph only when that passes. Started by a search that found either
// missing or stale, or the graph unmeasured, on a project that large; a graph already current and only
// unmeasured is measured, not rebuilt. The search itself scans exactly meanwhile.
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { ANN_DEFAULTS, buildIndex, type IndexMeta, loadIndex, readIndexMeta, type RowSource, rowsDigest, saveIndex, saveIndexMeta } from './ann-index';
import { type Candidates, exactTruth, graphCandidates, RECALL_K, RECALL_PROBES, type RecallMeasure, recallAgainst, spreadRows } from './ann-recall';
import { requireSet } from './embedding-pages';
import type { TopK } from './exact-search';
import { buildQuantized, quantizedFile, quantizedFits } from './quantized-index';
import { textProbes } from './recall-probes';
import { SEARCH_EXPANSION, SEARCH_POOL, savedIndex, savedQuantized } from './search';
import { imageRows, indexFile } from './semantic-job';

export const SEARCH_INDEX_JOB = 'search.index';

const Params = z.object({ model: z.string().min(1) });
/** `built`/`recall`: the graph index; `quantizedBuilt`: the int8 copy was (re)built. */
const Result = z.object({ rows: z.number().int(), built: z.boolean(), recall: z.number(), quantizedBuilt: z.boolean().optional() });

/** Probe queries and their exact top lists, computed once for every index the job measures. */
interface Probes { text: Float32Array[]; images: Float32Array[]; textTruth: TopK[]; imageTruth: TopK[] }

/** The recall record of one index: the weaker probe kind decides. */
function measure(p: Probes, candidates: Candidates, src: RowSource, beam: number, pool: number): RecallMeasure {
  const text = p.text.length ? recallAgainst(p.textTruth, candidates, src, p.text, RECALL_K, pool) : undefined;
  const images = recallAgainst(p.imageTruth, candidates, src, p.images, RECALL_K, pool);
  return {
    recall: Math.min(text ?? 1, images), probes: p.text.length + p.images.length, beam, pool, k: RECALL_K,
    ...(text !== undefined && { text }), images, measuredAt: new Date().toISOString(),
  };
}

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
        const text = await textProbes(project, set, active, RECALL_PROBES);
        ctx.signal.throwIfAborted();
        const images = spreadRows(src, RECALL_PROBES);
        const truth = await exactTruth(src, [...text, ...images], RECALL_K, ctx.signal); // one pass over the matrix
        const probes: Probes = { text, images, textTruth: truth.slice(0, text.length), imageTruth: truth.slice(text.length) };

        // The int8 copy first: it takes seconds, and exact search runs from it while the graph builds. Not
        // built past the resident budget: search keeps its codes in memory, and never streams them.
        const quantizedBuilt = quantizedFits(src.rows, set.dim) && savedQuantized(project, set, src.rows).state !== 'current';
        if (quantizedBuilt) await buildQuantized(src, quantizedFile(project, set), set.model, ctx.signal);

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
        const recall = measure(probes, graphCandidates(index, set.dim), src, SEARCH_EXPANSION, SEARCH_POOL);
        ctx.signal.throwIfAborted();
        saveIndexMeta(file, { ...meta, recall });
        ctx.progress(src.rows);
        return { rows: src.rows, built, recall: recall.recall, quantizedBuilt };
      } finally {
        src.close();
      }
    },
  });
}
