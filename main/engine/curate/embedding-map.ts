// The embedding map: a 2-D PCA projection of a model's image embeddings. The two leading principal
// directions come from block power (subspace) iteration on the covariance, each iteration one streamed
// pass over the matrix (C·Q = Σ x(xᵀQ) − n·μ(μᵀQ)); a last pass projects every row. The result is
// cached next to the matrix (`map.f32`: x, y per image row, + `map.json`), recomputed when rows change.
// No UMAP / t-SNE: umap-js 1.4 (the maintained JS UMAP) took 33 s for 2k, 65 s for 5k and 284 s for 10k
// 128-d points on this project's 2-core CI machine (nNeighbors 15, 200 epochs), superlinear, so 100k is far
// past an interactive wait; PCA projects 1M rows in a few streamed passes.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Project } from '../project';
import { type EmbeddingSet, modelFolderName } from '../store/embeddings';
import { type RowSource, tick } from './ann-index';
import { mulberry32 } from './kmeans';
import { imageRows } from './semantic-index';

export const MAP_ITERATIONS = 12;
const CHUNK = 4096;

export interface Projection { rows: number; xy: Float32Array; /** share of variance along each axis */ explained: [number, number] }

/** Orthonormalizes the two columns of Q (dim × 2, column-major). */
function orthonormalize(q: Float64Array, dim: number): void {
  const a = q.subarray(0, dim);
  const b = q.subarray(dim, 2 * dim);
  let na = 0;
  for (let j = 0; j < dim; j++) na += a[j] * a[j];
  na = Math.sqrt(na) || 1;
  for (let j = 0; j < dim; j++) a[j] /= na;
  let d = 0;
  for (let j = 0; j < dim; j++) d += a[j] * b[j];
  let nb = 0;
  for (let j = 0; j < dim; j++) {
    b[j] -= d * a[j];
    nb += b[j] * b[j];
  }
  nb = Math.sqrt(nb) || 1;
  for (let j = 0; j < dim; j++) b[j] /= nb;
}

export async function pca2(src: RowSource, iterations = MAP_ITERATIONS, signal?: AbortSignal): Promise<Projection> {
  const { dim, rows: n } = src;
  const mean = new Float64Array(dim);
  let total = 0;
  for (let first = 0; first < n; first += CHUNK) {
    const count = Math.min(CHUNK, n - first);
    const data = src.read(first, count);
    for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) {
      mean[j] += data[i * dim + j];
      total += data[i * dim + j] * data[i * dim + j];
    }
  }
  for (let j = 0; j < dim; j++) mean[j] /= Math.max(1, n);
  let meanSq = 0;
  for (let j = 0; j < dim; j++) meanSq += mean[j] * mean[j];
  const totalVar = total / Math.max(1, n) - meanSq;

  const rnd = mulberry32(7);
  let q = new Float64Array(2 * dim).map(() => rnd() - 0.5);
  orthonormalize(q, dim);
  const eig = [0, 0];
  for (let it = 0; it < iterations && !signal?.aborted; it++) {
    const z = new Float64Array(2 * dim);
    let mq0 = 0;
    let mq1 = 0;
    for (let j = 0; j < dim; j++) {
      mq0 += mean[j] * q[j];
      mq1 += mean[j] * q[dim + j];
    }
    for (let first = 0; first < n; first += CHUNK) {
      const count = Math.min(CHUNK, n - first);
      const data = src.read(first, count);
      for (let i = 0; i < count; i++) {
        const o = i * dim;
        let p0 = 0;
        let p1 = 0;
        for (let j = 0; j < dim; j++) {
          p0 += data[o + j] * q[j];
          p1 += data[o + j] * q[dim + j];
        }
        p0 -= mq0;
        p1 -= mq1;
        for (let j = 0; j < dim; j++) {
          const c = data[o + j] - mean[j];
          z[j] += c * p0;
          z[dim + j] += c * p1;
        }
      }
      await tick();
    }
    // Rayleigh quotients (eigenvalue estimates) before normalizing.
    eig[0] = 0;
    eig[1] = 0;
    for (let j = 0; j < dim; j++) {
      eig[0] += q[j] * z[j];
      eig[1] += q[dim + j] * z[dim + j];
    }
    orthonormalize(z, dim);
    q = z;
  }
  const xy = new Float32Array(2 * n);
  for (let first = 0; first < n; first += CHUNK) {
    const count = Math.min(CHUNK, n - first);
    const data = src.read(first, count);
    for (let i = 0; i < count; i++) {
      let x = 0;
      let y = 0;
      for (let j = 0; j < dim; j++) {
        const c = data[i * dim + j] - mean[j];
        x += c * q[j];
        y += c * q[dim + j];
      }
      xy[2 * (first + i)] = x;
      xy[2 * (first + i) + 1] = y;
    }
  }
  const denom = Math.max(1e-12, totalVar * Math.max(1, n));
  return { rows: n, xy, explained: [eig[0] / denom, eig[1] / denom] };
}

function mapFiles(project: Project, set: EmbeddingSet) {
  const dir = path.join(project.dir, 'embeddings', modelFolderName(set.model));
  return { data: path.join(dir, 'map.f32'), meta: path.join(dir, 'map.json') };
}

/** The cached projection of the set's committed rows, computed (and cached) when missing or stale. */
export async function projection(project: Project, set: EmbeddingSet): Promise<Projection> {
  const files = mapFiles(project, set);
  const src = imageRows(project, set);
  try {
    if (existsSync(files.meta) && existsSync(files.data)) {
      const meta = JSON.parse(readFileSync(files.meta, 'utf8')) as { rows: number; explained: [number, number] };
      if (meta.rows === src.rows) {
        const buf = readFileSync(files.data);
        if (buf.byteLength === meta.rows * 8) return { rows: meta.rows, explained: meta.explained, xy: new Float32Array(buf.buffer, buf.byteOffset, meta.rows * 2) };
      }
    }
    const p = await pca2(src);
    writeFileSync(`${files.data}.tmp`, new Uint8Array(p.xy.buffer, p.xy.byteOffset, p.xy.byteLength));
    renameSync(`${files.data}.tmp`, files.data);
    writeFileSync(files.meta, JSON.stringify({ rows: p.rows, explained: p.explained, iterations: MAP_ITERATIONS, method: 'pca-power-iteration' }));
    return p;
  } finally {
    src.close();
  }
}

const b64 = (a: ArrayBufferView): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export interface MapPoints {
  model: string;
  count: number;
  /** base64 little-endian typed arrays, one entry per point: Int32 item ids, Float32 x,y pairs. */
  ids: string;
  xy: string;
  explained: [number, number];
  colorBy: string | null;
  /** Signal colouring: Float32 value per point (NaN: item has no such signal). */
  values: string | null;
  /** Label colouring: Int16 index into `categories` per point (-1: no label). */
  codes: string | null;
  categories: string[];
}

/**
 * Points {itemId, x, y} in item order, coloured by a signal name or by 'label' (the item's accepted,
 * else top proposed, label annotation).
 */
export async function mapPoints(project: Project, set: EmbeddingSet, colorBy?: string): Promise<MapPoints> {
  const p = await projection(project, set);
  const pairs: [number, number][] = [];
  for (const r of project.embeddings.rows(set)) if (r.imageRow < p.rows) pairs.push([r.itemId, r.imageRow]);
  const n = pairs.length;
  const ids = new Int32Array(n);
  const xy = new Float32Array(2 * n);
  const at = new Map<number, number>();
  pairs.forEach(([id, row], i) => {
    ids[i] = id;
    at.set(id, i);
    xy[2 * i] = p.xy[2 * row];
    xy[2 * i + 1] = p.xy[2 * row + 1];
  });
  let values: Float32Array | null = null;
  let codes: Int16Array | null = null;
  const categories: string[] = [];
  if (colorBy === 'label') {
    codes = new Int16Array(n).fill(-1);
    const cat = new Map<string, number>();
    const rows = project.db.prepare(`SELECT item_id, label FROM annotations WHERE kind = 'label' AND state != 'rejected'
      ORDER BY item_id, state = 'proposed', score DESC`).iterate() as Iterable<{ item_id: number; label: string }>;
    let last = -1;
    for (const r of rows) {
      if (r.item_id === last) continue;
      last = r.item_id;
      const i = at.get(r.item_id);
      if (i === undefined) continue;
      let c = cat.get(r.label);
      if (c === undefined && cat.size < 32000) {
        c = cat.size;
        cat.set(r.label, c);
        categories.push(r.label);
      }
      if (c !== undefined) codes[i] = c;
    }
  } else if (colorBy) {
    values = new Float32Array(n).fill(NaN);
    // `dup.<kind>` colours members of duplicate groups by their group; anything else is a signal name.
    const dup = /^dup\.(exact|phash|semantic)$/.exec(colorBy)?.[1];
    const source = dup
      ? project.db.prepare('SELECT m.item_id, g.id value FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = ?').iterate(dup)
      : project.db.prepare('SELECT item_id, value FROM signals WHERE name = ?').iterate(colorBy);
    for (const r of source as Iterable<{ item_id: number; value: number }>) {
      const i = at.get(r.item_id);
      if (i !== undefined) values[i] = r.value;
    }
  }
  return {
    model: set.model, count: n, ids: b64(ids), xy: b64(xy), explained: p.explained, colorBy: colorBy ?? null,
    values: values && b64(values), codes: codes && b64(codes), categories,
  };
}
