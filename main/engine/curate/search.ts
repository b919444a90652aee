// Search over a model's image embeddings: text → images (the query embedded by the same model) and
// image → similar images. Uses the saved ANN index (`embeddings/<model>/image.usearch`, written by the
// semantic-dedup job) when it covers every committed row, else an exact streamed scan (one chunk in
// memory, a k-sized top list), so results never depend on having run dedup first.
import { statSync } from 'node:fs';
import type { Index } from 'usearch';
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { loadIndex, readIndexMeta, type RowSource, searchBatch } from './ann-index';
import { imageRows, indexFile } from './semantic-job';

export interface Hit { itemId: number; score: number }
export interface SearchResult { method: 'index' | 'exact'; hits: Hit[] }

/** Loaded indexes by file, reloaded when the file changes. */
const cache = new Map<string, { index: Index; mtimeMs: number; rows: number }>();

function cachedIndex(file: string, rows: number, dim: number): Index | null {
  const meta = readIndexMeta(file);
  if (!meta || meta.rows !== rows || meta.dim !== dim) {
    cache.delete(file);
    return null;
  }
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return null;
  }
  const hit = cache.get(file);
  if (hit && hit.mtimeMs === mtimeMs && hit.rows === rows) return hit.index;
  const index = loadIndex(file, rows, dim);
  if (index) cache.set(file, { index, mtimeMs, rows });
  else cache.delete(file);
  return index;
}

/** Top-k rows by cosine (rows are normalized, so the dot product), streamed. */
export function exactTopK(src: RowSource, query: Float32Array, k: number, chunkRows = 4096): { rows: Int32Array; scores: Float32Array } {
  const dim = src.dim;
  const rows = new Int32Array(k).fill(-1);
  const scores = new Float32Array(k).fill(-Infinity);
  let filled = 0;
  let minAt = 0;
  for (let first = 0; first < src.rows; first += chunkRows) {
    const count = Math.min(chunkRows, src.rows - first);
    const data = src.read(first, count);
    for (let i = 0; i < count; i++) {
      let s = 0;
      const o = i * dim;
      for (let j = 0; j < dim; j++) s += data[o + j] * query[j];
      if (filled < k) {
        rows[filled] = first + i;
        scores[filled++] = s;
        if (filled === k) minAt = argMin(scores);
      } else if (s > scores[minAt]) {
        rows[minAt] = first + i;
        scores[minAt] = s;
        minAt = argMin(scores);
      }
    }
  }
  const order = Array.from({ length: filled }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || rows[a] - rows[b]);
  return { rows: Int32Array.from(order, (i) => rows[i]), scores: Float32Array.from(order, (i) => scores[i]) };
}

function argMin(a: Float32Array): number {
  let m = 0;
  for (let i = 1; i < a.length; i++) if (a[i] < a[m]) m = i;
  return m;
}

/** The k items whose images are nearest `query` (a normalized vector of the set's dimension). */
export function searchVector(project: Project, set: EmbeddingSet, query: Float32Array, k: number, excludeItem?: number): SearchResult {
  if (query.length !== set.dim) throw new Error(`query has ${query.length} dimensions, the embeddings of ${set.model} have ${set.dim}`);
  const src = imageRows(project, set);
  try {
    const want = k + (excludeItem !== undefined ? 1 : 0) + 4; // a few spare for unmapped rows
    const index = src.rows > 0 ? cachedIndex(indexFile(project, set), src.rows, set.dim) : null;
    let rows: ArrayLike<number>;
    let scores: ArrayLike<number>;
    if (index) {
      const r = searchBatch(index, query, set.dim, want);
      rows = Array.from(r.keys, Number);
      scores = r.sims;
    } else {
      ({ rows, scores } = exactTopK(src, query, Math.min(want, Math.max(1, src.rows))));
    }
    const itemOf = project.db.prepare('SELECT item_id FROM embedding_rows WHERE set_id = ? AND image_row = ?').pluck();
    const hits: Hit[] = [];
    for (let i = 0; i < rows.length && hits.length < k; i++) {
      if (rows[i] < 0) continue;
      const itemId = itemOf.get(set.id, rows[i]) as number | undefined;
      if (itemId === undefined || itemId === excludeItem) continue;
      hits.push({ itemId, score: Math.round(scores[i] * 1e5) / 1e5 });
    }
    return { method: index ? 'index' : 'exact', hits };
  } finally {
    src.close();
  }
}

/** Image vector of an item, or undefined when the item was not embedded with this set. */
export function itemVector(project: Project, set: EmbeddingSet, itemId: number): Float32Array | undefined {
  const r = project.embeddings.rowsOf(set, itemId);
  if (!r) return undefined;
  const m = project.embeddings.matrix(set, 'image');
  try {
    return m.read(r.imageRow);
  } finally {
    m.close();
  }
}
