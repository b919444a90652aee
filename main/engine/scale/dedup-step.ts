// Semantic duplicate groups over a merged image matrix (image cosine ≥ threshold; exact and perceptual
// groups come from the merge's scratch database, merge-scratch.ts).
// Semantic dedup as distributed steps (SemDeDup, Abbas et al. 2023): k-means centroids trained on a sample
// of rows, every row assigned to its nearest centroid, then one independent job per cluster (exact
// all-pairs inside it) whose pairs are joined at the end. The steps are separate functions so a queue can
// run the per-cluster jobs on many workers; the merge runs them in-process when there is no queue.
import usearch from 'usearch';
import type { ScalePlanT } from '../../domain/scale';
import { type RowSource, ownBuffer } from '../curate/ann-index';
import { assignClusters, trainKMeans } from '../curate/kmeans';
import { findNearDuplicates, UnionFind } from '../curate/semantic-dedup';

/** Evenly spaced rows of `src` (at most `sample`), as a RowSource for training. */
function sampled(src: RowSource, sample: number): RowSource {
  if (src.rows <= sample) return src;
  const step = src.rows / sample;
  const data = new Float32Array(sample * src.dim);
  for (let i = 0; i < sample; i++) data.set(src.read(Math.floor(i * step), 1), i * src.dim);
  return { dim: src.dim, rows: sample, read: (r, c = 1) => data.slice(r * src.dim, (r + c) * src.dim) };
}

export function clusterCount(rows: number, configured?: number): number {
  return Math.max(1, Math.min(rows, configured ?? Math.round(rows / 1000)));
}

/** Step 1: centroids trained on a sample of the rows (deterministic seed). */
export async function trainCentroids(src: RowSource, k: number, sample: number, signal?: AbortSignal): Promise<Float32Array> {
  return trainKMeans(sampled(src, sample), k, { signal, seed: 1 });
}

/** Step 2: members of every cluster (rows of `src`), clusters in id order. */
export async function clusterMembers(src: RowSource, centroids: Float32Array, k: number, signal?: AbortSignal): Promise<number[][]> {
  const assignment = await assignClusters(src, centroids, k, { signal });
  const members: number[][] = Array.from({ length: k }, () => []);
  assignment.forEach((c, row) => members[c].push(row));
  return members;
}

const NEIGHBOURS = 128;

/** Step 3 (one job per cluster): pairs (a < b, rows of `src`) inside the cluster with cosine ≥ threshold. */
export function clusterPairs(src: RowSource, members: readonly number[], threshold: number): Array<[number, number]> {
  const n = members.length;
  if (n < 2) return [];
  const dim = src.dim;
  const vecs = new Float32Array(n * dim);
  members.forEach((row, i) => vecs.set(src.read(row, 1), i * dim));
  // Neighbours per row are capped (as in the in-project SemDeDup) so a huge cluster costs n·k, not n².
  const k = Math.min(n, NEIGHBOURS);
  const m = usearch.exactSearch(ownBuffer(vecs), ownBuffer(vecs), dim, k, 'cos' as never, 0) as unknown as { keys: BigUint64Array; distances: Float32Array };
  const pairs: Array<[number, number]> = [];
  for (let q = 0; q < n; q++) {
    for (let j = 0; j < k; j++) {
      const at = q * k + j;
      if (1 - m.distances[at] < threshold) break;
      const other = Number(m.keys[at]);
      if (other !== q) pairs.push(members[q] < members[other] ? [members[q], members[other]] : [members[other], members[q]]);
    }
  }
  return pairs;
}

/** Step 4: join the pairs of every cluster into groups of image rows. */
export function joinPairs(rows: number, pairs: Iterable<readonly [number, number]>): number[][] {
  const uf = new UnionFind(rows);
  for (const [a, b] of pairs) uf.union(a, b);
  return uf.groups();
}

/** Semantic groups of image rows, by the plan's method, every step in this process. */
export async function semanticGroups(src: RowSource, dedup: ScalePlanT['dedup'], signal?: AbortSignal): Promise<number[][]> {
  if (src.rows < 2) return [];
  if (dedup.method === 'graph') return (await findNearDuplicates(src, { threshold: dedup.threshold, method: 'graph', signal })).uf.groups();
  const k = clusterCount(src.rows, dedup.clusters);
  const centroids = await trainCentroids(src, k, dedup.sample, signal);
  const members = await clusterMembers(src, centroids, k, signal);
  return joinPairs(src.rows, members.flatMap((m) => clusterPairs(src, m, dedup.threshold)));
}
