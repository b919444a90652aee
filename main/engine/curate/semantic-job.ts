// The `curate.semdedup` job: semantic near-duplicate groups from a model's image embeddings, stored
// like the other duplicate kinds (dup_groups kind 'semantic', with the run that says how),
// so the Duplicates view, the rules and the export read them the same way. Not resumable mid-way (a
// rerun starts over; nothing is written until the end), but cancellable at every chunk.
import path from 'node:path';
import { SEMANTIC_DEDUP_DEFAULTS } from '../../../main/domain/similarity-defaults';
import type { JobKind } from '../jobs/runner';
import type { Project } from '../project';
import { type EmbeddingSet, modelFolderName } from '../store/embeddings';
import { DEFAULT_MODEL } from '../vision/active-model';
import { ANN_DEFAULTS, loadIndex, type RowSource, saveIndex, tick } from './ann-index';
import { requireSet } from './embedding-pages';
import { type CandidatePair, chooseMethod, type DedupMethod, findNearDuplicates, UnionFind } from './semantic-dedup';
import { fingerprintItems } from './fingerprint-file';
import { alignmentScore, DEFAULT_MIN_ALIGNMENT } from './pixel-verify';
import { DupGroupStore } from '../store/dup-groups';
import { PAIR_SIGNAL } from './pair-score-job';

export const SEMDEDUP_JOB = 'curate.semdedup';
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
export type VerifyMode = 'pixels' | 'none';
export type KeepPolicy = 'pair' | 'resolution' | 'first';

export interface SemDedupParams {
  model?: string;
  /** Cosine threshold (candidates when verifying); defaults per `verify`. */
  threshold?: number;
  policy?: KeepPolicy;
  method?: DedupMethod;
  k?: number;
  /** 'pixels' (default): keep only candidate pairs that align as copies (pixel-verify.ts); 'none': cosine alone. */
  verify?: VerifyMode;
  /** Minimum alignment score with `verify: 'pixels'`. */
  minAlignment?: number;
}

/** Where the job is, and with verification what became of the candidate pairs. */
export interface SemDedupProgress { phase: string; candidates?: number; verified?: number; rejected?: number; unverifiable?: number }

export function semanticDefaults(p: SemDedupParams) {
  const verify = p.verify ?? 'pixels';
  return {
    verify,
    threshold: p.threshold ?? (verify === 'pixels' ? DEFAULT_CANDIDATE_THRESHOLD : DEFAULT_SEMANTIC_THRESHOLD),
    minAlignment: p.minAlignment ?? DEFAULT_MIN_ALIGNMENT,
    k: p.k ?? (verify === 'pixels' ? VERIFY_K : undefined),
  };
}

/**
 * Joins the candidate pairs that hold up as copies. Pairs where either image cannot be decoded (remote,
 * missing) are judged by the cosine alone, at the strict unverified threshold.
 */
async function verifiedGroups(project: Project, items: Int32Array, candidates: CandidatePair[], minAlignment: number,
  signal: AbortSignal, progress: (done: number) => void): Promise<{ uf: UnionFind; verified: number; rejected: number; unverifiable: number }> {
  const uf = new UnionFind(items.length);
  const ids = [...new Set(candidates.flatMap((c) => [items[c.a], items[c.b]]).filter((id) => id > 0))];
  const prints = await fingerprintItems(project, ids, 3, signal);
  let verified = 0, rejected = 0, unverifiable = 0;
  for (let i = 0; i < candidates.length && !signal.aborted; i++) {
    const c = candidates[i];
    const fa = prints.get(items[c.a]);
    const fb = prints.get(items[c.b]);
    let keep: boolean;
    if (fa && fb) {
      keep = alignmentScore(fa, fb) >= minAlignment;
      if (keep) verified++;
      else rejected++;
    } else {
      unverifiable++;
      keep = c.cos >= DEFAULT_SEMANTIC_THRESHOLD;
    }
    if (keep) uf.union(c.a, c.b);
    if (i % 256 === 255) {
      progress(i + 1);
      await tick();
    }
  }
  progress(candidates.length);
  return { uf, verified, rejected, unverifiable };
}

export function indexFile(project: Project, set: EmbeddingSet): string {
  return path.join(project.dir, 'embeddings', modelFolderName(set.model), 'image.usearch');
}

/** The committed image rows of a set as a RowSource (rows a killed embed run wrote past its checkpoint are left out). */
export function imageRows(project: Project, set: EmbeddingSet): RowSource & { close(): void } {
  const matrix = project.embeddings.matrix(set, 'image');
  const rows = Math.min(matrix.rows, project.embeddings.committedImageRows(set));
  return { dim: set.dim, rows, read: (row, count = 1) => matrix.read(row, count), close: () => matrix.close() };
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

export function semDedupJob(project: Project): JobKind<SemDedupParams, SemDedupProgress> {
  return {
    kind: SEMDEDUP_JOB,
    writes: ['duplicates', 'signals'],
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
      try {
        const n = src.rows;
        const method = chooseMethod(n, set.dim, ctx.params.method);
        const file = indexFile(project, set);
        const saved = method === 'graph' ? loadIndex(file, n, set.dim) : null;
        // Phases: build index (n, skipped when a saved one covers the rows) + search (n); or k-means + clusters.
        const offset = { index: 0, kmeans: 0, search: saved ? 0 : n, clusters: n };
        const total = method === 'graph' && saved ? n : 2 * n;
        ctx.setTotal(total);
        let lastReport = 0;
        const result = await findNearDuplicates(src, {
          threshold, method, k, index: saved ?? undefined, signal: ctx.signal, collect: verify === 'pixels',
          progress: (phase, done, total) => {
            const at = phase === 'kmeans' && total !== n ? 0 : offset[phase] + done;
            const now = performance.now();
            if (now - lastReport > 250 || done === total) {
              lastReport = now;
              ctx.commit(() => undefined, at, { phase });
            }
          },
        });
        if (ctx.signal.aborted) return;
        if (result.index && !saved) {
          saveIndex(result.index, file, { rows: n, dim: set.dim, model, options: ANN_DEFAULTS, builtAt: new Date().toISOString() });
        }
        const items = rowItems(project, set, n);
        let uf = result.uf;
        let counts: Record<string, number> = {};
        // Verification adds one step per candidate pair after the search phases.
        const end = total + result.candidates.length;
        if (verify === 'pixels') {
          ctx.setTotal(end);
          const v = await verifiedGroups(project, items, result.candidates, minAlignment, ctx.signal,
            (done) => ctx.commit(() => undefined, total + done, { phase: 'verify' }));
          if (ctx.signal.aborted) return;
          uf = v.uf;
          counts = { candidates: result.candidates.length, verified: v.verified, rejected: v.rejected, unverifiable: v.unverifiable };
        }
        const dupGroups = new DupGroupStore(project.db);
        const manual = dupGroups.manualKeepers();
        const groups = uf.groups().map((g) => [...new Set(g.map((r) => items[r]).filter((id) => id > 0))]).filter((g) => g.length > 1);
        const params = { threshold, policy, method, verify, ...(verify === 'pixels' ? { minAlignment } : {}) };
        ctx.commit(() => {
          const runId = project.runs.forJob(ctx.jobId, SEMDEDUP_JOB, { model, modelHash: set.modelHash, params });
          dupGroups.replaceKind('semantic', runId, groups.map((members) => ({ keeper: chooseKeeper(project, members, policy, manual), members })));
          project.runs.finish(runId);
        }, end, { phase: 'done', ...counts });
        project.notifyItemsChanged(null, 0, false);
      } finally {
        src.close();
      }
    },
  };
}
