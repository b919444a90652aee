// Shards are the unit: the same plan run as one shard and as three shards (in this process, no queue)
// merges into the same rows, signals, vectors and duplicate groups; planted duplicates are found.
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScalePlan, type ScalePlanT } from '../../../main/domain/scale';
import { clusterMembers, clusterPairs, joinPairs, trainCentroids } from '../../../main/engine/scale/dedup-step';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { readItemTable } from '../../../main/engine/scale/item-table';
import { mergeShards } from '../../../main/engine/scale/merge';
import { NpyRows } from '../../../main/engine/scale/npy-rows';
import { runShard } from '../../../main/engine/scale/shard-run';
import { loadShardModel, type ShardModel } from '../../../main/engine/scale/shard-model';
import { searchShards } from '../../../main/engine/scale/shard-index';
import { planUnits, shardOf } from '../../../main/engine/scale/units';
import { tempDir } from '../../fixtures/images';
import { scalePlan, writeScaleDataset, type ScaleDataset } from '../../fixtures/scale';

let dir: string;
let data: ScaleDataset;
let model: ShardModel;

async function runPlan(plan: ScalePlanT, count: number) {
  const storage = new FsStorage(plan.output);
  const units = await planUnits(plan);
  for (let index = 0; index < count; index++) await runShard(plan, shardOf(units, { index, count }), { storage, model });
  const result = await mergeShards(plan, count, storage);
  const out = path.join(plan.output, 'result');
  const dups = (await parquetReadObjects({ file: await asyncBufferFromFile(path.join(out, 'duplicates.parquet')) })) as Array<{ group: number; kind: string; key: string }>;
  return { result, rows: await readItemTable(path.join(out, 'items.parquet')), dups, out };
}

const groupsOf = (dups: Array<{ group: number; kind: string; key: string }>) => {
  const by = new Map<number, string[]>();
  for (const d of dups) by.set(d.group, [...(by.get(d.group) ?? []), `${d.kind}:${d.key}`]);
  return [...by.values()].map((g) => g.sort().join(' ')).sort();
};

beforeAll(async () => {
  dir = await tempDir('winnow-scale-');
  data = await writeScaleDataset(dir);
  model = await loadShardModel('winnow-clip-mini');
}, 120_000);
afterAll(async () => { await model?.model.dispose(); });

describe('shard runs and the merge', () => {
  it('one shard and three shards merge into the same rows, signals, vectors and duplicate groups', async () => {
    const one = await runPlan(ScalePlan.parse(scalePlan(data, path.join(dir, 'one'))), 1);
    const three = await runPlan(ScalePlan.parse(scalePlan(data, path.join(dir, 'three'))), 3);
    expect(one.result.items).toBe(data.items);
    expect(three.result.items).toBe(data.items);
    expect(three.result.failed).toEqual([]);
    expect(three.rows.map((r) => `${r.source}/${r.key}`)).toEqual(one.rows.map((r) => `${r.source}/${r.key}`));
    const keys = one.rows.map((r) => `${r.source}/${r.key}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual(keys);
    three.rows.forEach((r, i) => {
      const o = one.rows[i];
      expect({ ...r, signals: undefined }).toEqual({ ...o, signals: undefined });
      expect(Object.keys(r.signals).sort()).toEqual(Object.keys(o.signals).sort());
      for (const [name, v] of Object.entries(o.signals)) expect(r.signals[name as keyof typeof r.signals]).toBeCloseTo(v, 5);
    });
    const a = new NpyRows(path.join(one.out, 'image.npy'));
    const b = new NpyRows(path.join(three.out, 'image.npy'));
    expect(b.rows).toBe(a.rows);
    for (let r = 0; r < a.rows; r++) a.read(r).forEach((v, j) => expect(Math.abs(b.read(r)[j] - v)).toBeLessThan(1e-5));
    a.close(); b.close();
    expect(groupsOf(three.dups)).toEqual(groupsOf(one.dups));
    // Ground truth from the generator: the planted copies.
    const exact = groupsOf(one.dups).filter((g) => g.startsWith('exact:'));
    expect(exact).toEqual([`exact:${data.exactPair[0]} exact:${data.exactPair[1]}`]);
    expect(groupsOf(one.dups).some((g) => g.includes(`semantic:${data.nearPair[0]}`) && g.includes(`semantic:${data.nearPair[1]}`))).toBe(true);
    const broken = one.rows.find((r) => r.key === data.corruptKey)!;
    expect(broken.error).toMatch(/unreadable/);
    expect(broken.image_row).toBeNull();
  }, 240_000);

  it('search over the per-shard indexes finds what exact search over the merged matrix finds', async () => {
    const merged = new NpyRows(path.join(dir, 'three', 'result', 'image.npy'));
    const rows = await readItemTable(path.join(dir, 'three', 'result', 'items.parquet'));
    const keyOfImage = new Map(rows.filter((r) => r.image_row !== null).map((r) => [r.image_row!, `${r.source}/${r.key}`]));
    const query = (await model.model.embedTexts(['a red circle'])).slice(0, model.model.dim);
    const exact = Array.from({ length: merged.rows }, (_, i) => {
      const v = merged.read(i);
      let s = 0; for (let d = 0; d < v.length; d++) s += v[d] * query[d];
      return { key: keyOfImage.get(i)!, score: s };
    }).sort((a, b) => b.score - a.score);
    merged.close();
    const k = 5;
    const hits = await searchShards(new FsStorage(path.join(dir, 'three')), 3, query, k);
    expect(hits).toHaveLength(k);
    // Every exact hit clearly above the k-th score is found, with its score (ties at the k-th may go either way).
    const kth = exact[k - 1].score;
    for (const e of exact.filter((x) => x.score > kth + 1e-4)) {
      const hit = hits.find((h) => `${h.source}/${h.key}` === e.key);
      expect(hit, e.key).toBeDefined();
      expect(hit!.score).toBeCloseTo(e.score, 2);
    }
    expect(new Set(hits.map((h) => h.shard)).size).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('a committed shard is not run or written again', async () => {
    const plan = ScalePlan.parse(scalePlan(data, path.join(dir, 'again')));
    const storage = new FsStorage(plan.output);
    const shard = shardOf(await planUnits(plan), { index: 0, count: 4 });
    const first = await runShard(plan, shard, { storage, model });
    const second = await runShard(plan, shard, { storage, model });
    expect(first.committed).toBe(true);
    expect(second).toMatchObject({ skipped: true, committed: false, items: first.items });
  }, 120_000);

  it('SemDeDup steps (centroids, per-cluster pairs, join) find what brute force finds with one cluster', async () => {
    const images = new NpyRows(path.join(dir, 'one', 'result', 'image.npy'));
    const threshold = 0.9;
    const brute: Array<[number, number]> = [];
    for (let i = 0; i < images.rows; i++) for (let j = i + 1; j < images.rows; j++) {
      const x = images.read(i); const y = images.read(j);
      let s = 0; for (let d = 0; d < images.dim; d++) s += x[d] * y[d];
      if (s >= threshold) brute.push([i, j]);
    }
    const centroids = await trainCentroids(images, 1, 1000);
    const members = await clusterMembers(images, centroids, 1);
    const pairs = clusterPairs(images, members[0], threshold).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
    expect(pairs.length).toBeGreaterThan(0);
    expect([...new Set(pairs.map((p) => p.join()))]).toEqual(brute.map((p) => p.join()));
    // Several clusters: every pair found lies inside one cluster and is a brute-force pair.
    const k = 4;
    const many = await clusterMembers(images, await trainCentroids(images, k, 1000), k);
    expect(many.flat().sort((p, q) => p - q)).toEqual([...Array(images.rows).keys()]);
    const found = many.flatMap((m) => clusterPairs(images, m, threshold));
    for (const p of found) expect(brute.map((q) => q.join())).toContain(p.join());
    expect(joinPairs(images.rows, brute).flat().length).toBeGreaterThan(1);
    images.close();
  }, 120_000);
});
