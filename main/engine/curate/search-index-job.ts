// The `search.index` job: builds and saves what search uses on a large project (search.ts). First the int8
// copy of the matrix (quantized-index.ts: seconds to build; the exact scan runs from it with only its codes
// resident), whose exact search it then times on this machine with probe queries like the real ones
// (scan-cost.ts measureScans). Within the interactive budget, that copy answers every search: no graph is
// built (a stale one left from before is removed), and search says the graph is not needed. Over it (a wider or
// larger matrix, a slower machine) the job builds the HNSW graph (minutes to tens of minutes; sublinear),
// whose recall@10 vs the exact scan on the same probes is measured and recorded in its sidecar
// (ann-recall.ts): search trusts the graph only when that passes. Started by a search that found the copy
// missing, stale or untimed, or (the copy over budget) the graph missing, stale or unmeasured, on a project
// that large; a graph already current and only unmeasured is measured, not rebuilt. The search itself scans
// exactly meanwhile. A project that grows makes the copy stale, so the next slow search starts the job,
// which times the new copy and builds the graph then if it is over budget.
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { ActiveModel } from '../vision/active-model';
import { ANN_DEFAULTS, buildIndex, type IndexMeta, loadIndex, readIndexMeta, removeIndex, type RowSource, rowsDigest, saveIndex, saveIndexMeta } from './ann-index';
import { type Candidates, exactTruth, graphCandidates, RECALL_K, RECALL_PROBES, type RecallMeasure, recallAgainst, spreadRows } from './ann-recall';
import { requireSet } from './embedding-pages';
import { exactTopK, type TopK } from './exact-search';
import { buildQuantized, CopyMismatch, copyScan, loadQuantized, quantizedFile, quantizedFits, saveCopyScan, savedCopyTopK } from './quantized-index';
import { textProbes } from './recall-probes';
import { measureScans, type ScanMeasure, scanWithinBudget, thisMachine } from './scan-cost';
import { SCAN_PROBE_K, SEARCH_EXPANSION, SEARCH_POOL, savedIndex, savedQuantized } from './search';
import { imageRows, indexFile } from './semantic-index';
import { scanChunkRows, streamedRows } from '../store/resident-matrix';

export const SEARCH_INDEX_JOB = 'search.index';

const Params = z.object({ model: z.string().min(1) });
/**
 * `quantizedBuilt`: the int8 copy was (re)built; `scanMs`: its timed search (ms per query); `graph`: 'not-needed'
 * (the copy answers within the budget: no graph), else the graph was built (`built`) or found current, and
 * `recall` its measured recall@10.
 */
const Result = z.object({
  rows: z.number().int(), built: z.boolean(), recall: z.number().optional(), quantizedBuilt: z.boolean().optional(),
  scanMs: z.number().optional(), graph: z.enum(['built', 'current', 'not-needed']).optional(),
});

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

/**
 * The saved copy's exact search timed on this machine, as search runs it (codes resident, candidate rows read from
 * the embeddings file), on the text and image probes; the earlier timing when it is of this copy and this machine.
 * Undefined where there is no copy to time (past the resident budget, or no copy possible).
 */
function timedCopy(file: string, matrix: string, dim: number, rows: number, probes: Float32Array[][], fresh: boolean): ScanMeasure | undefined {
  const earlier = copyScan(file);
  if (!fresh && earlier !== undefined && earlier !== 'none' && earlier.machine === thisMachine()) return earlier;
  const copy = loadQuantized(file, rows, dim);
  if (!copy) return undefined;
  const src = streamedRows(matrix, dim, rows);
  try {
    const scan = measureScans(probes, SCAN_PROBE_K, (q) => savedCopyTopK(copy, src, q, SCAN_PROBE_K, () => exactTopK(src, q, SCAN_PROBE_K, scanChunkRows(dim))));
    saveCopyScan(file, scan);
    return scan;
  } finally {
    src.close();
  }
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

        // The int8 copy first: it takes seconds, and exact search runs from it while the graph builds. Not
        // built past the resident budget: search keeps its codes in memory, and never streams them.
        const qfile = quantizedFile(project, set);
        const fits = quantizedFits(src.rows, set.dim);
        let quantizedBuilt = fits && savedQuantized(project, set, src.rows).state !== 'current';
        if (quantizedBuilt) await buildQuantized(src, qfile, set.model, ctx.signal);
        ctx.signal.throwIfAborted();
        const time = () => (fits ? timedCopy(qfile, project.embeddings.matrixPath(set, 'image'), set.dim, src.rows, [text, images], quantizedBuilt) : undefined);
        let scan: ScanMeasure | undefined;
        try {
          scan = time();
        } catch (err) {
          // A copy whose codes are not those of the rows (it is removed as the timing reads them): built again, then timed.
          if (!(err instanceof CopyMismatch) || quantizedBuilt) throw err;
          await buildQuantized(src, qfile, set.model, ctx.signal);
          quantizedBuilt = true;
          scan = time();
        }
        const timed = scan && { scanMs: scan.ms };
        if (scanWithinBudget(scan)) {
          // The copy answers every search within the budget: a graph would cost minutes of both cores for nothing. A
          // stale one goes; a current one stays (semantic dedup's graph method reuses it), unused by search.
          if (existsSync(file) && savedIndex(project, set, src.rows).state !== 'current') removeIndex(file);
          ctx.progress(src.rows);
          return { rows: src.rows, built: false, quantizedBuilt, ...timed, graph: 'not-needed' as const };
        }

        const truth = await exactTruth(src, [...text, ...images], RECALL_K, ctx.signal); // one pass over the matrix
        const probes: Probes = { text, images, textTruth: truth.slice(0, text.length), imageTruth: truth.slice(text.length) };
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
        return { rows: src.rows, built, recall: recall.recall, quantizedBuilt, ...timed, graph: built ? 'built' as const : 'current' as const };
      } finally {
        src.close();
      }
    },
  });
}
