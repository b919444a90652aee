// Search indexes per shard, queried across shards: each shard job builds an HNSW index (usearch) over its own
// image vectors and commits it with the shard; a query searches every shard's index (memory-mapped) and
// keeps the best k overall. No global index has to be built or held by one machine.
import path from 'node:path';
import { ANN_DEFAULTS, buildIndex, loadIndex, saveIndex, searchBatch } from '../curate/ann-index';
import { readItemTable } from './item-table';
import { NpyRows } from './npy-rows';
import { shardPath } from './units';
import type { ShardStorage } from './storage';

export const SHARD_INDEX = 'image.usearch';

/** Builds and saves the index of a staged shard's image.npy (nothing for a shard without vectors). */
export async function buildShardIndex(stagingDir: string, model: string, signal?: AbortSignal): Promise<void> {
  const rows = new NpyRows(path.join(stagingDir, 'image.npy'));
  try {
    if (!rows.rows) return;
    const index = await buildIndex(rows, {}, undefined, signal);
    saveIndex(index, path.join(stagingDir, SHARD_INDEX), { rows: rows.rows, dim: rows.dim, model, options: ANN_DEFAULTS, builtAt: new Date().toISOString() });
  } finally {
    rows.close();
  }
}

export interface ShardHit { source: number; key: string; score: number; shard: string }

/** The k best matches of `query` (an L2-normalized vector) over every committed shard of an N-way run. */
export async function searchShards(storage: ShardStorage, count: number, query: Float32Array, k: number): Promise<ShardHit[]> {
  const hits: ShardHit[] = [];
  for (let index = 0; index < count; index++) {
    const name = shardPath({ index, count });
    if (!(await storage.committed(name))) continue;
    const dir = await storage.open(name);
    const rows = new NpyRows(path.join(dir, 'image.npy'));
    const [n, dim] = [rows.rows, rows.dim];
    rows.close();
    if (!n) continue;
    const ann = loadIndex(path.join(dir, SHARD_INDEX), n, dim, { view: true });
    if (!ann) throw new Error(`${name} has no search index for its ${n} vectors (built by an older Winnow? rerun the shard)`);
    const found = searchBatch(ann, query, dim, k);
    const byRow = new Map((await readItemTable(path.join(dir, 'items.parquet'))).filter((r) => r.image_row !== null).map((r) => [r.image_row!, r]));
    for (let j = 0; j < Number(found.counts[0]); j++) {
      const row = byRow.get(Number(found.keys[j]))!;
      hits.push({ source: row.source, key: row.key, score: found.sims[j], shard: name });
    }
  }
  return hits.sort((a, b) => b.score - a.score || a.source - b.source || (a.key < b.key ? -1 : 1)).slice(0, k);
}
