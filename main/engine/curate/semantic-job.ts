// The `curate.semdedup` job: semantic near-duplicate groups from a model's image embeddings, stored
// like the other duplicate kinds (signal `dup.semantic` = keeper id on non-keepers, params say how),
// so the Duplicates view, the rules and the export read them the same way. Not resumable mid-way (a
// rerun starts over; nothing is written until the end), but cancellable at every chunk.
import path from 'node:path';
import type { JobKind } from '../jobs/runner';
import type { Project } from '../project';
import { type EmbeddingSet, modelFolderName } from '../store/embeddings';
import { DEFAULT_MODEL } from '../vision/active-model';
import { ANN_DEFAULTS, loadIndex, type RowSource, saveIndex } from './ann-index';
import { requireSet } from './embedding-pages';
import { chooseMethod, type DedupMethod, findNearDuplicates } from './semantic-dedup';
import { SIGNAL, SignalStore } from './signals';

export const SEMDEDUP_JOB = 'curate.semdedup';
export const DUP_SEMANTIC = 'dup.semantic';
/**
 * Default cosine threshold, measured with the built-in model (winnow-clip-mini, 64 px input) on the
 * 400-item synthetic dirty set (test/integration/curate/semantic-dedup.test.ts). The model embeds what
 * a caption says, so distinct scenes with the same content reach cos 0.999 while planted crops fall to
 * 0.93-0.98: no threshold gives both precision and recall ≥ 0.95. Measured (pairs / precision / recall):
 * 0.95: 164 / 0.11 / 0.88 · 0.99: 44 / 0.46 / 0.63 · 0.996: 24 / 0.92 / 0.63 (re-encode 4/4, resize 4/4,
 * brighten 2/4, crop 0/4) · 0.998: 22 / 0.96 / 0.56. 0.996 keeps precision high; larger CLIP models
 * separate content from pixels better and usually want ~0.95 (pass `threshold`).
 */
export const DEFAULT_SEMANTIC_THRESHOLD = 0.996;
export type KeepPolicy = 'pair' | 'resolution' | 'first';
export const PAIR_SIGNAL = 'clip.pair';

export interface SemDedupParams { model?: string; threshold?: number; policy?: KeepPolicy; method?: DedupMethod; k?: number }

export function indexFile(project: Project, set: EmbeddingSet): string {
  return path.join(project.dir, 'embeddings', modelFolderName(set.model), 'image.usearch');
}

/** The committed image rows of a set as a RowSource (rows a killed embed run wrote past its checkpoint are left out). */
export function imageRows(project: Project, set: EmbeddingSet): RowSource & { close(): void } {
  const matrix = project.embeddings.matrix(set, 'image');
  const rows = Math.min(matrix.rows, project.embeddings.committedRows(set).image);
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

export function semDedupJob(project: Project): JobKind<SemDedupParams, { phase: string }> {
  return {
    kind: SEMDEDUP_JOB,
    title: (p) => `Semantic near-duplicates (${p.model ?? DEFAULT_MODEL}, cos ≥ ${p.threshold ?? DEFAULT_SEMANTIC_THRESHOLD})`,
    async run(ctx) {
      const model = ctx.params.model ?? DEFAULT_MODEL;
      const threshold = ctx.params.threshold ?? DEFAULT_SEMANTIC_THRESHOLD;
      const policy = ctx.params.policy ?? 'pair';
      const set = requireSet(project, model);
      const src = imageRows(project, set);
      try {
        const n = src.rows;
        const method = chooseMethod(n, ctx.params.method);
        const file = indexFile(project, set);
        const saved = method === 'graph' ? loadIndex(file, n, set.dim) : null;
        // Phases: build index (n, skipped when a saved one covers the rows) + search (n); or k-means + clusters.
        const offset = { index: 0, kmeans: 0, search: saved ? 0 : n, clusters: n };
        const total = method === 'graph' && saved ? n : 2 * n;
        ctx.setTotal(total);
        let lastReport = 0;
        const result = await findNearDuplicates(src, {
          threshold, method, k: ctx.params.k, index: saved ?? undefined, signal: ctx.signal,
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
        const manual = new Set(project.db.prepare('SELECT item_id FROM signals WHERE name = ? AND value = 1').pluck().all(SIGNAL.dupKeep) as number[]);
        const groups = result.uf.groups().map((g) => [...new Set(g.map((r) => items[r]).filter((id) => id > 0))]).filter((g) => g.length > 1);
        const params = JSON.stringify({ threshold, policy, model, method });
        const signals = new SignalStore(project.db);
        ctx.commit(() => {
          signals.deleteName(DUP_SEMANTIC);
          for (const members of groups) {
            const keeper = chooseKeeper(project, members, policy, manual);
            for (const m of members) if (m !== keeper) signals.set(m, DUP_SEMANTIC, keeper, model, params);
          }
        }, total, { phase: 'done' });
        project.notifyItemsChanged(null, 0, false);
      } finally {
        src.close();
      }
    },
  };
}
