// SemDeDup's steps (dedup-step.ts) over shard storage, so each can run as its own queue job on any machine:
// the merged image matrix is committed once under a content key, the centroid step commits the cluster
// members, every cluster step commits its pairs, the join commits the groups. Every output is committed
// once like a shard (a retried or duplicated job finds it committed and reuses it), and the key (matrix
// content + dedup settings) means a re-merge over other shards or with other settings never reuses them.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScalePlanT } from '../../domain/scale';
import { clusterCount, clusterMembers, clusterPairs, joinPairs, trainCentroids } from './dedup-step';
import { NpyRows } from './npy-rows';
import type { ShardStorage } from './storage';

export const SEMDEDUP_DIR = 'semdedup';
export const matrixName = (key: string) => `${SEMDEDUP_DIR}/${key}/matrix`;
export const centroidsName = (key: string) => `${SEMDEDUP_DIR}/${key}/centroids`;
export const clusterName = (key: string, cluster: number) => `${SEMDEDUP_DIR}/${key}/clusters/${String(cluster).padStart(6, '0')}`;
export const groupsName = (key: string) => `${SEMDEDUP_DIR}/${key}/groups`;

/** What the centroid step commits besides the members: enough for the cluster jobs and the join. */
export interface ClusterLayout { rows: number; k: number; dim: number; offsets: number[] }

export type Dedup = ScalePlanT['dedup'];

/** The matrix's content key: 16 hex chars of its sha256. */
async function contentKey(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex').slice(0, 16);
}

/** Stages `files` (name → bytes, or a local file to link/copy) and commits them as `name`; false when already committed. */
async function commitFiles(storage: ShardStorage, name: string, files: Record<string, Uint8Array | { from: string }>): Promise<boolean> {
  if (await storage.committed(name)) return false;
  const dir = path.join(await storage.stagingRoot(), `${path.basename(name)}.${randomUUID()}`);
  await mkdir(dir, { recursive: true });
  for (const [file, body] of Object.entries(files)) {
    const to = path.join(dir, file);
    // The matrix can be large: a hard link when staging shares its filesystem, a copy otherwise.
    if ('from' in body) await link(body.from, to).catch(() => copyFile(body.from, to));
    else await writeFile(to, body);
  }
  return storage.commit(name, dir);
}

const bytesOf = (a: Int32Array | Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Commits the merged image matrix where every worker can open it; returns the steps' key: the matrix's content
 * and the dedup settings, so another threshold or cluster count over the same rows never reuses these outputs.
 */
export async function publishMatrix(storage: ShardStorage, images: NpyRows, dedup: Dedup): Promise<string> {
  const key = createHash('sha256').update(`${await contentKey(images.file)}\n${JSON.stringify([dedup.threshold, dedup.method, dedup.clusters ?? null, dedup.sample])}`).digest('hex').slice(0, 16);
  await commitFiles(storage, matrixName(key), { 'image.npy': { from: images.file } });
  return key;
}

/** `count` int32s from element `from` of `file`: a cluster job reads only its own members. */
async function readInts(file: string, from: number, count: number): Promise<Int32Array> {
  const out = new Int32Array(count);
  const fh = await open(file, 'r');
  try {
    await fh.read(new Uint8Array(out.buffer), 0, out.byteLength, from * 4);
  } finally {
    await fh.close();
  }
  return out;
}

async function openMatrix(storage: ShardStorage, key: string): Promise<NpyRows> {
  return new NpyRows(path.join(await storage.open(matrixName(key)), 'image.npy'));
}

/** Centroid job: k-means on a sample of the matrix, every row assigned; commits members grouped by cluster. */
export async function centroidStep(storage: ShardStorage, key: string, dedup: Dedup, signal?: AbortSignal): Promise<ClusterLayout & { committed: boolean }> {
  const done = await storage.readJson<ClusterLayout>(`${centroidsName(key)}/layout.json`);
  if (done) return { ...done, committed: false };
  const src = await openMatrix(storage, key);
  try {
    const k = clusterCount(src.rows, dedup.clusters);
    const centroids = await trainCentroids(src, k, dedup.sample, signal);
    const members = await clusterMembers(src, centroids, k, signal);
    const offsets = [0];
    for (const m of members) offsets.push(offsets[offsets.length - 1] + m.length);
    const layout: ClusterLayout = { rows: src.rows, k, dim: src.dim, offsets };
    const committed = await commitFiles(storage, centroidsName(key), {
      'members.i32': bytesOf(Int32Array.from(members.flat())),
      'centroids.f32': new Uint8Array(centroids.buffer, centroids.byteOffset, centroids.byteLength),
      'layout.json': Buffer.from(JSON.stringify(layout)),
    });
    return { ...layout, committed };
  } finally {
    src.close();
  }
}

export async function readLayout(storage: ShardStorage, key: string): Promise<ClusterLayout> {
  const layout = await storage.readJson<ClusterLayout>(`${centroidsName(key)}/layout.json`);
  if (!layout) throw new Error(`SemDeDup centroids of ${key} are not committed`);
  return layout;
}

/** Cluster job: near-duplicate pairs inside one cluster, committed once as pairs.u32 (a, b, a, b, ...). */
export async function clusterStep(storage: ShardStorage, key: string, cluster: number, threshold: number): Promise<{ members: number; pairs: number; committed: boolean }> {
  const layout = await readLayout(storage, key);
  const from = layout.offsets[cluster];
  const members = Array.from(await readInts(path.join(await storage.open(centroidsName(key)), 'members.i32'), from, layout.offsets[cluster + 1] - from));
  const name = clusterName(key, cluster);
  if (await storage.committed(name)) return { members: members.length, pairs: -1, committed: false };
  const src = await openMatrix(storage, key);
  try {
    const pairs = clusterPairs(src, members, threshold);
    const committed = await commitFiles(storage, name, { 'pairs.u32': bytesOf(Uint32Array.from(pairs.flat())) });
    return { members: members.length, pairs: pairs.length, committed };
  } finally {
    src.close();
  }
}

/** Join job: every cluster's pairs into groups of image rows (union-find), committed once as groups.json. */
export async function joinStep(storage: ShardStorage, key: string): Promise<number[][]> {
  const done = await storage.readJson<number[][]>(`${groupsName(key)}/groups.json`);
  if (done) return done;
  const layout = await readLayout(storage, key);
  const pairs: Array<[number, number]> = [];
  for (let c = 0; c < layout.k; c++) {
    const name = clusterName(key, c);
    if (!(await storage.committed(name))) throw new Error(`SemDeDup cluster ${c} of ${key} is not committed`);
    const flat = new Uint32Array(new Uint8Array(await readFile(path.join(await storage.open(name), 'pairs.u32'))).buffer);
    for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i], flat[i + 1]]);
  }
  const groups = joinPairs(layout.rows, pairs);
  await commitFiles(storage, groupsName(key), { 'groups.json': Buffer.from(JSON.stringify(groups)) });
  return groups;
}
