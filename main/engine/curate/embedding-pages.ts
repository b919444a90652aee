// Shared plumbing of the embedding-based signal jobs (labels, pair score, concepts): the embedding set
// of a model, and its (item, image row, text row) map in keyset-paged batches. Pages are read with
// .all(), so no statement stays open while a batch commits (better-sqlite3 forbids writes during an
// open iterator), and memory is one page.
import { ApiError } from '../../domain/errors';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import type { MatrixFile } from '../store/matrix-file';

export interface EmbeddedRow { itemId: number; imageRow: number; textRow: number | null }

export const PAGE = 512;

/** The model's embedding set, or a clear error telling the curator to embed first. */
export function requireSet(project: Project, model: string): EmbeddingSet {
  const set = project.embeddings.getSet(model);
  if (!set) throw new ApiError('conflict', `no embeddings for ${model} yet: run "Embed" (winnow embed) first`);
  return set;
}

export function embeddedCount(project: Project, set: EmbeddingSet, afterItemId = 0): number {
  return project.db.prepare('SELECT count(*) FROM embedding_rows WHERE set_id = ? AND item_id <= ?').pluck().get(set.id, afterItemId) as number;
}

export function totalEmbedded(project: Project, set: EmbeddingSet): number {
  return project.db.prepare('SELECT count(*) FROM embedding_rows WHERE set_id = ?').pluck().get(set.id) as number;
}

/** Pages of embedded items after `afterItemId`, in item order. */
export function* embeddedPages(project: Project, set: EmbeddingSet, afterItemId: number, pageSize = PAGE): Generator<EmbeddedRow[]> {
  const stmt = project.db.prepare('SELECT item_id itemId, image_row imageRow, text_row textRow FROM embedding_rows WHERE set_id = ? AND item_id > ? ORDER BY item_id LIMIT ?');
  let last = afterItemId;
  for (;;) {
    const page = stmt.all(set.id, last, pageSize) as EmbeddedRow[];
    if (page.length === 0) return;
    yield page;
    last = page[page.length - 1].itemId;
    if (page.length < pageSize) return;
  }
}

/** Reads the given rows of a matrix; contiguous runs are read with one call. */
export function readRows(matrix: MatrixFile, rows: readonly number[]): Float32Array {
  const dim = matrix.dim;
  const out = new Float32Array(rows.length * dim);
  let i = 0;
  while (i < rows.length) {
    let j = i + 1;
    while (j < rows.length && rows[j] === rows[j - 1] + 1) j++;
    out.set(matrix.read(rows[i], j - i), i * dim);
    i = j;
  }
  return out;
}
