// A Parquet source is cut by row group: units are whole groups of one file (read from the file's metadata),
// a shard decodes only its own groups and rows, and one shard vs three shards merge into the same result.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScalePlan, type ScalePlanT } from '../../../main/domain/scale';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { readItemTable } from '../../../main/engine/scale/item-table';
import { mergeShards } from '../../../main/engine/scale/merge';
import { shardEntries } from '../../../main/engine/scale/shard-entries';
import { runShard } from '../../../main/engine/scale/shard-run';
import { loadShardModel, type ShardModel } from '../../../main/engine/scale/shard-model';
import { allShards, planUnits } from '../../../main/engine/scale/units';
import { scenes, writeParquet } from '../../fixtures/formats';
import { tempDir } from '../../fixtures/images';

let dir: string;
let source: string;
let model: ShardModel;
const plan = (output: string): ScalePlanT => ScalePlan.parse({
  version: 1, name: 'parquet plan', model: 'winnow-clip-mini', output, rowsPerShard: 4, batchSize: 4,
  sources: [{ kind: 'parquet', path: source }], dedup: { threshold: 0.97 },
});

beforeAll(async () => {
  dir = await tempDir('winnow-parquet-units-');
  source = path.join(dir, 'pq');
  await mkdir(source);
  const list = await scenes(16, 'parquet-units');
  // Two files, row groups of 2 rows (the fixture's writer): 10 rows = 5 groups, 6 rows = 3 groups.
  await writeParquet(path.join(source, 'a.parquet'), list.slice(0, 10), true);
  await writeParquet(path.join(source, 'b.parquet'), list.slice(10), true);
  model = await loadShardModel('winnow-clip-mini');
}, 120_000);
afterAll(async () => { await model?.model.dispose(); });

describe('Parquet sources cut by row group', () => {
  it('units are whole row groups of one file, and a shard decodes only its own groups and rows', async () => {
    const p = plan(path.join(dir, 'units'));
    const units = await planUnits(p);
    // Independent reading of the footers: each file's group boundaries.
    const bounds = new Map<string, number[]>();
    for (const f of ['a.parquet', 'b.parquet']) {
      const md = await parquetMetadataAsync(await asyncBufferFromFile(path.join(source, f)));
      let at = 0;
      bounds.set(path.join(source, f), [0, ...md.row_groups.map((g) => (at += Number(g.num_rows)))]);
    }
    expect(units.map((u) => (u.kind === 'rows' ? [path.basename(u.file!), u.fileRow, u.end - u.start] : null))).toEqual([
      ['a.parquet', 0, 4], ['a.parquet', 4, 4], ['a.parquet', 8, 2], ['b.parquet', 0, 4], ['b.parquet', 4, 2],
    ]);
    for (const u of units) {
      if (u.kind !== 'rows') throw new Error('a parquet unit is rows');
      const b = bounds.get(u.file!)!;
      expect(b).toContain(u.fileRow);
      expect(b).toContain(u.fileRow! + u.end - u.start);
    }
    const seen: string[] = [];
    for (const shard of allShards(units, 3)) {
      const stats = { rowGroups: 0, rows: 0 };
      const keys: string[] = [];
      for await (const { entry } of shardEntries(p, shard, undefined, stats)) keys.push(entry.key);
      const rows = shard.units.reduce((n, u) => n + (u.kind === 'rows' ? u.end - u.start : 0), 0);
      expect(keys).toHaveLength(rows);
      // Only its own groups: rows decoded = rows yielded, groups decoded = its rows / 2 rows per group.
      expect(stats).toEqual({ rowGroups: rows / 2, rows });
      seen.push(...keys);
    }
    expect(new Set(seen).size).toBe(16);
  }, 60_000);

  it('one shard and three shards merge into the same rows and signals', async () => {
    const run = async (name: string, count: number) => {
      const p = plan(path.join(dir, name));
      const storage = new FsStorage(p.output);
      for (const shard of allShards(await planUnits(p), count)) await runShard(p, shard, { storage, model });
      const result = await mergeShards(p, count, storage);
      return { result, rows: await readItemTable(path.join(p.output, 'result', 'items.parquet')) };
    };
    const one = await run('one', 1);
    const three = await run('three', 3);
    expect(one.result.items).toBe(16);
    expect(three.result).toMatchObject({ items: 16, failed: [], embedded: one.result.embedded });
    expect(three.rows.map((r) => r.key)).toEqual(one.rows.map((r) => r.key));
    three.rows.forEach((r, i) => {
      expect({ ...r, signals: null }).toEqual({ ...one.rows[i], signals: null });
      for (const [k, v] of Object.entries(one.rows[i].signals)) expect(r.signals[k as keyof typeof r.signals]).toBeCloseTo(v as number, 5);
    });
  }, 180_000);
});
