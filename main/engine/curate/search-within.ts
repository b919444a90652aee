// Search inside the current view: the nearest images to a query vector among the items a filter shows
// (source, rule list or selection, label, map region), past the first page, down to a similarity cutoff.
// Undecodable items (a decode_failed issue) are never hits: a curator cannot look at them.
// Candidates come from searchVector in growing batches until the page is full or the matrix is exhausted,
// so a narrow filter costs more candidates but never misses an item the exact order would show.
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { UNDECODABLE } from '../media/undecodable';
import { type Hit, type SearchMode, type SearchResult, searchVector } from './search';

export interface WithinOptions {
  k: number;
  offset: number;
  minScore?: number;
  /** Trusted SQL over alias `i` (a compiled selection, label or region); null = every item. */
  where: string | null;
  sourceId?: number;
  excludeItem?: number;
  mode?: SearchMode;
}

export interface PagedHits extends Pick<SearchResult, 'method' | 'index' | 'scanMs' | 'slowExact' | 'unproven' | 'indexRecall'> { hits: Hit[]; more: boolean }

export function searchWithin(project: Project, set: EmbeddingSet, query: Float32Array, opts: WithinOptions): PagedHits {
  const need = opts.offset + opts.k + 1; // one more than the page: whether there is a next page
  const filtered = opts.where !== null || opts.sourceId !== undefined;
  let want = filtered ? Math.max(256, need * 4) : need + 32;
  for (;;) {
    const found = searchVector(project, set, query, want, opts.excludeItem, opts.mode);
    const allowed = allowedIds(project, found.hits.map((h) => h.itemId), opts);
    const kept = found.hits.filter((h) => allowed.has(h.itemId) && (opts.minScore === undefined || h.score >= opts.minScore));
    const last = found.hits.at(-1);
    const exhausted = found.hits.length < want || (opts.minScore !== undefined && last !== undefined && last.score < opts.minScore);
    if (kept.length >= need || exhausted) {
      return { method: found.method, index: found.index, slowExact: found.slowExact, unproven: found.unproven, ...(found.indexRecall !== undefined && { indexRecall: found.indexRecall }), ...(found.scanMs !== undefined && { scanMs: found.scanMs }), hits: kept.slice(opts.offset, opts.offset + opts.k), more: kept.length > opts.offset + opts.k };
    }
    want *= 4;
  }
}

/** Which of `ids` the view shows and can be decoded. */
function allowedIds(project: Project, ids: number[], opts: WithinOptions): Set<number> {
  if (ids.length === 0) return new Set();
  const conditions = [
    'i.id IN (SELECT value FROM json_each(?))',
    `NOT EXISTS (SELECT 1 FROM issues x WHERE x.item_id = i.id AND x.kind = '${UNDECODABLE}')`,
    ...(opts.sourceId !== undefined ? ['i.source_id = ?'] : []),
    ...(opts.where ? [`(${opts.where})`] : []),
  ];
  const params: unknown[] = [JSON.stringify(ids), ...(opts.sourceId !== undefined ? [opts.sourceId] : [])];
  return new Set(project.db.prepare(`SELECT i.id FROM items i WHERE ${conditions.join(' AND ')}`).pluck().all(...params) as number[]);
}

/** SQL over alias `i` for a map region's item ids (validated integers, so inlined as a JSON literal). */
export function regionPredicate(ids: readonly number[]): string {
  if (!ids.every((id) => Number.isSafeInteger(id))) throw new Error('region ids must be integers');
  return `i.id IN (SELECT value FROM json_each('${JSON.stringify(ids)}'))`;
}
