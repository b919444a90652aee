// The `curate.semdedup` job: semantic near-duplicate groups from a model's image embeddings, stored
// like the other duplicate kinds (dup_groups kind 'semantic', with the run that says how),
// so the Duplicates view, the rules and the export read them the same way. Resumable: the search phase
// reuses a saved ANN index; its candidate pairs are checkpointed, so a killed run continues verifying at
// the next unverified pair (semantic-verify.ts); the groups are written in one final commit.
import { SEMANTIC_DEDUP_DEFAULTS } from '../../domain/similarity-defaults';
import { z } from 'zod';
import { defineJob } from '../jobs/define-job';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { DEFAULT_MODEL } from '../vision/active-model';
import { ANN_DEFAULTS, loadIndex, rowsDigest, saveIndex, tick } from './ann-index';
import { requireSet } from './embedding-pages';
import { chooseMethod, findNearDuplicates, type UnionFind } from './semantic-dedup';
import { DEFAULT_MIN_ALIGNMENT } from './pixel-verify';
import { candidatesFile, keptGroups, loadCandidates, removeCandidates, saveCandidates, verifyCandidates, type VerifyState } from './semantic-verify';
import { DupGroupStore } from '../store/dup-groups';
import { PAIR_SIGNAL } from './pair-score-job';
import { imageRows, indexFile, SEMDEDUP_JOB } from './semantic-index';

// Search's side of the job lives in semantic-index.ts (search loads it without this job).
export { imageRows, indexFile, SEMDEDUP_JOB } from './semantic-index';
/**
 * Cosine threshold when pairs are not verified by pixels. Measured with the built-in model (winnow-clip-mini,
 * 64 px input) on the 400-item synthetic dirty set (test/integration/curate/semantic-dedup.test.ts): the model
 * embeds what a caption says, so distinct scenes with the same content reach cos 0.999 while planted crops fall
 * to 0.93-0.98, and no cosine alone gives precision and recall ≥ 0.95. This one keeps precision high.
 */
export const DEFAULT_SEMANTIC_THRESHOLD = SEMANTIC_DEDUP_DEFAULTS.cosineThreshold;
/** Cosine threshold for candidates that pixel verification then confirms or drops (default path). */
export const DEFAULT_CANDIDATE_THRESHOLD = SEMANTIC_DEDUP_DEFAULTS.candidateThreshold;
/** Neighbours searched per image when verifying: same-content images crowd the list ahead of crops. */
const VERIFY_K = 32;
export const VerifyMode = z.enum(['pixels', 'none']);
export type VerifyMode = z.output<typeof VerifyMode>;
export const KeepPolicy = z.enum(['pair', 'resolution', 'first']);
export type KeepPolicy = z.output<typeof KeepPolicy>;

export const SemDedupParams = z.object({
  model: z.string().min(1).optional(),
  /** Cosine threshold (candidates when verifying); defaults per `verify`. */
  threshold: z.number().min(-1).max(1).optional(),
  policy: KeepPolicy.optional(),
  method: z.enum(['graph', 'semdedup']).optional(),
  k: z.number().int().positive().optional(),
  /** 'pixels' (default): keep only candidate pairs that align as copies (pixel-verify.ts); 'none': cosine alone. */
  verify: VerifyMode.optional(),
  /** Minimum alignment score with `verify: 'pixels'`. */
  minAlignment: z.number().optional(),
  /** Where the threshold came from (explicit, project, model): recorded with the run. */
  calibration: z.record(z.string(), z.string()).optional(),
});
export type SemDedupParams = z.output<typeof SemDedupParams>;

const Counts = { verified: z.number().int(), rejected: z.number().int(), unverifiable: z.number().int() };
/**
 * The search is done and its `candidates` pairs are in candidatesFile(); [0, verifiedUpTo) are judged and
 * `kept` (indices) held up. `rows` and `searchSteps` pin the search it came from (rows of the set, progress).
 */
const SemDedupCheckpoint = z.object({
  phase: z.literal('verify'), rows: z.number().int(), searchSteps: z.number().int(), candidates: z.number().int(),
  verifiedUpTo: z.number().int(), kept: z.array(z.number().int()), ...Counts,
});
const SemDedupResult = z.object({ groups: z.number().int(), candidates: z.number().int().nullable(), ...Counts });

export function semanticDefaults(p: SemDedupParams) {
  const verify = p.verify ?? 'pixels';
  return {
    verify,
    threshold: p.threshold ?? (verify === 'pixels' ? DEFAULT_CANDIDATE_THRESHOLD : DEFAULT_SEMANTIC_THRESHOLD),
    minAlignment: p.minAlignment ?? DEFAULT_MIN_ALIGNMENT,
    k: p.k ?? (verify === 'pixels' ? VERIFY_K : undefined),
  };
}

/** Item id of every image row (0 where no item points at the row). Int32Array: 4 bytes per row. */
export function rowItems(project: Project, set: EmbeddingSet, rows: number): Int32Array {
  const out = new Int32Array(rows);
  for (const r of project.embeddings.rows(set)) if (r.imageRow < rows) out[r.imageRow] = r.itemId;
  return out;
}

/** One keeper per group: a person's choice (dup.keep), else by policy; ties fall back to resolution, then lowest id. */
export function chooseKeeper(project: Project, members: number[], policy: KeepPolicy, manual: Set<number>): number {
  const marked = members.find((m) => manual.has(m));
  if (marked !== undefined) return marked;
  const db = project.db;
  const info = db.prepare(`SELECT i.id, coalesce(i.width * i.height, 0) px, s.value pair FROM items i
    LEFT JOIN signals s ON s.item_id = i.id AND s.name = '${PAIR_SIGNAL}' WHERE i.id = ?`);
  const rows = members.map((id) => (info.get(id) as { id: number; px: number; pair: number | null } | undefined) ?? { id, px: 0, pair: null });
  const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;
  const byPx = (a: { px: number; id: number }, b: { px: number; id: number }) => b.px - a.px || byId(a, b);
  const sorted = policy === 'first' ? rows.sort(byId)
    : policy === 'resolution' ? rows.sort(byPx)
    : rows.sort((a, b) => (b.pair ?? -Infinity) - (a.pair ?? -Infinity) || byPx(a, b));
  return sorted[0].id;
}

export function semDedupJob(project: Project) {
  return defineJob({
    kind: SEMDEDUP_JOB,
    writes: ['duplicates'],
    params: SemDedupParams,
    checkpoint: SemDedupCheckpoint,
    result: SemDedupResult,
    title: (p) => {
      const d = semanticDefaults(p);
      return `Semantic near-duplicates (${p.model ?? DEFAULT_MODEL}, cos ≥ ${d.threshold}${d.verify === 'pixels' ? `, verified by pixels ≥ ${d.minAlignment}` : ''})`;
    },
    async run(ctx) {
      const model = ctx.params.model ?? DEFAULT_MODEL;
      const { threshold, verify, minAlignment, k } = semanticDefaults(ctx.params);
      const policy = ctx.params.policy ?? 'pair';
      const set = requireSet(project, model);
      const src = imageRows(project, set);
      const file = candidatesFile(project, ctx.jobId);
      try {
        const n = src.rows;
        const method = chooseMethod(n, set.dim, ctx.params.method);
        // A checkpoint from a search over the same rows whose candidates are still on disk resumes verification.
        const resumed = ctx.checkpoint && ctx.checkpoint.rows === n ? ctx.checkpoint : null;
        const stored = resumed && loadCandidates(file, resumed.candidates);
        let uf: UnionFind | null = null;
        let counts: VerifyState | null = null;
        let candidateCount: number | null = null;
        let searchSteps: number;
        let pairs: Float64Array | null = null;
        if (resumed && stored) {
          searchSteps = resumed.searchSteps;
          pairs = stored;
          const { verifiedUpTo, kept, verified, rejected, unverifiable } = resumed;
          counts = { verifiedUpTo, kept, verified, rejected, unverifiable };
        } else {
          const indexPath = indexFile(project, set);
          const saved = method === 'graph' ? loadIndex(indexPath, n, set.dim, { src }) : null;
          // Phases: build index (n, skipped when a saved one covers the rows) + search (n); or k-means + clusters.
          const offset = { index: 0, kmeans: 0, search: saved ? 0 : n, clusters: n };
          searchSteps = method === 'graph' && saved ? n : 2 * n;
          ctx.setTotal(searchSteps);
          const result = await findNearDuplicates(src, {
            threshold, method, k, index: saved ?? undefined, signal: ctx.signal, collect: verify === 'pixels',
            progress: (phase, done, total) => ctx.progress(phase === 'kmeans' && total !== n ? 0 : offset[phase] + done),
          });
          ctx.signal.throwIfAborted();
          if (result.index && !saved) {
            saveIndex(result.index, indexPath, { rows: n, dim: set.dim, model, options: ANN_DEFAULTS, builtAt: new Date().toISOString(), digest: rowsDigest(src) });
          }
          uf = result.uf;
          if (verify === 'pixels') {
            pairs = saveCandidates(file, result.candidates);
            counts = { verifiedUpTo: 0, kept: [], verified: 0, rejected: 0, unverifiable: 0 };
            ctx.commit(() => undefined, searchSteps, { phase: 'verify', rows: n, searchSteps, candidates: result.candidates.length, ...counts });
          }
        }
        const items = rowItems(project, set, n);
        // Verification adds one step per candidate pair after the search phases.
        if (pairs && counts) {
          candidateCount = pairs.length / 3;
          const base = { phase: 'verify' as const, rows: n, searchSteps, candidates: candidateCount };
          ctx.setTotal(searchSteps + candidateCount);
          counts = await verifyCandidates(project, items, pairs, counts, {
            minAlignment, fallbackCos: DEFAULT_SEMANTIC_THRESHOLD, signal: ctx.signal,
            checkpoint: (state) => ctx.commit(() => undefined, searchSteps + state.verifiedUpTo, { ...base, ...state }),
          });
          uf = keptGroups(n, pairs, counts.kept);
        }
        const end = searchSteps + (candidateCount ?? 0);
        const dupGroups = new DupGroupStore(project.db);
        const manual = dupGroups.manualKeepers();
        if (!uf) throw new Error('semantic dedup: no groups were computed');
        const groups = uf.groups().map((g) => [...new Set(g.map((r) => items[r]).filter((id) => id > 0))]).filter((g) => g.length > 1);
        const params = { threshold, policy, method, verify, ...(verify === 'pixels' ? { minAlignment } : {}), ...(ctx.params.calibration && { calibration: ctx.params.calibration }) };
        ctx.commit(() => {
          const runId = project.runs.forJob(ctx.jobId, SEMDEDUP_JOB, { model, modelHash: set.modelHash, params });
          dupGroups.replaceKind('semantic', runId, groups.map((members) => ({ keeper: chooseKeeper(project, members, policy, manual), members })));
          project.runs.finish(runId);
        }, end, { phase: 'verify', rows: n, searchSteps, candidates: candidateCount ?? 0, ...(counts ?? { verifiedUpTo: 0, kept: [], verified: 0, rejected: 0, unverifiable: 0 }) });
        removeCandidates(file);
        project.notifyItemsChanged(null, 0, false);
        const { verified = 0, rejected = 0, unverifiable = 0 } = counts ?? {};
        return { groups: groups.length, candidates: candidateCount, verified, rejected, unverifiable };
      } finally {
        src.close();
      }
    },
  });
}
