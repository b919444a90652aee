// The plan's rules at the merge decide what a project decides: the same generated dataset imported into
// a project (its own import, stats job and duplicate groups) and evaluated through the contract keeps
// exactly the items the merge's selection.parquet keeps, with the same per-rule counts.
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../../main/api/client';
import type { RuleInput } from '../../../main/domain/curation';
import { ScalePlan } from '../../../main/domain/scale';
import { Engine } from '../../../main/engine/engine';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { mergeShards, type MergeResult } from '../../../main/engine/scale/merge';
import { runShard } from '../../../main/engine/scale/shard-run';
import { loadShardModel } from '../../../main/engine/scale/shard-model';
import { planUnits, shardOf } from '../../../main/engine/scale/units';
import { tempDir } from '../../fixtures/images';
import { scalePlan, writeScaleDataset, type ScaleDataset } from '../../fixtures/scale';

const RULES: RuleInput[] = [
  { id: 'words', kind: 'caption_words', op: '>', threshold: 3 },
  { id: 'chars', kind: 'caption_chars', op: '>=', keepTop: 0.7 },
  { id: 'side', kind: 'min_side', op: '>=', threshold: 40 },
  { id: 'broken', kind: 'unreadable' },
  { id: 'copies', kind: 'exact_dup' },
  // From the plan's stats stage (pixel statistics and the perceptual hash), as the project's stats job computes them.
  { id: 'near', kind: 'near_dup' },
  { id: 'blur', kind: 'blurry' },
  { id: 'dark', kind: 'dark' },
  { id: 'info', kind: 'low_info', op: '>=', keepTop: 0.8 },
];

let dir: string;
let data: ScaleDataset;
let result: MergeResult;
let merged: Array<{ source: number; key: string; kept: boolean; reasons: string | null }>;
const engines: Engine[] = [];

beforeAll(async () => {
  dir = await tempDir('winnow-merge-rules-');
  data = await writeScaleDataset(dir);
  const plan = ScalePlan.parse(scalePlan(data, path.join(dir, 'out'), { rules: RULES, stages: { stats: {} } }));
  const storage = new FsStorage(plan.output);
  const model = await loadShardModel(plan.model);
  try {
    const units = await planUnits(plan);
    for (let index = 0; index < 2; index++) await runShard(plan, shardOf(units, { index, count: 2 }), { storage, model });
  } finally {
    await model.model.dispose();
  }
  result = await mergeShards(plan, 2, storage);
  merged = (await parquetReadObjects({ file: await asyncBufferFromFile(path.join(plan.output, 'result', 'selection.parquet')) })) as typeof merged;
}, 240_000);
afterAll(async () => { for (const e of engines) await e.close(); });

describe('rules at the merge', () => {
  it('keep the same items as the project evaluating the same rules on the same data', async () => {
    const engine = new Engine('cli');
    engines.push(engine);
    const client = localClient(engine);
    await client.call('project.create', { dir: path.join(dir, 'project') });
    const wds = await client.call('sources.add', { path: data.wds });
    const manifest = await client.call('sources.add', { path: data.manifest });
    await engine.requireProject().jobs.idle();
    const { jobId } = await client.call('curate.runStats', {});
    expect((await engine.requireProject().jobs.wait(jobId)).state).toBe('done');
    const sourceOf = new Map([[wds.source.id, 0], [manifest.source.id, 1]]);
    const rules = RULES.map((r) => ({ enabled: true, ...r }));
    const evaluation = await client.call('selection.evaluate', { rules });
    const keys = async (show: 'kept' | 'removed') => (await client.call('items.page', { offset: 0, limit: 1000, selection: { rules, show } }))
      .map((i) => `${sourceOf.get(i.sourceId)}/${i.key}`).sort();

    // An unreadable file is a row of the merge (removed by `unreadable`) but only an issue in a project (no item).
    const projectKeys = new Set([...(await keys('kept')), ...(await keys('removed'))]);
    const onlyMerged = merged.filter((m) => !projectKeys.has(`${m.source}/${m.key}`));
    expect(onlyMerged.map((m) => `${m.source}/${m.key}`)).toEqual([`1/${data.corruptKey}`]);
    expect(onlyMerged[0].kept).toBe(false);
    expect(merged.length).toBe(projectKeys.size + 1);

    expect(merged.filter((m) => m.kept).map((m) => `${m.source}/${m.key}`).sort()).toEqual(await keys('kept'));
    const alsoRemoves = (id: string) => onlyMerged.filter((m) => (JSON.parse(m.reasons ?? '[]') as Array<{ ruleId: string }>).some((r) => r.ruleId === id)).length;
    expect(result.selection).toMatchObject({ total: evaluation.total + 1, kept: evaluation.kept, removed: evaluation.removed + 1 });
    for (const r of evaluation.rules) {
      const m = result.selection.rules.find((x) => x.id === r.id)!;
      expect(m.removedAlone, r.id).toBe(r.removedAlone + alsoRemoves(r.id));
      expect(m.threshold, r.id).toBe(r.threshold);
    }
    // The data makes the comparison bite: several rules remove something, and something is kept.
    expect(result.selection.rules.filter((r) => r.removedAlone > 0).map((r) => r.id)).toEqual(expect.arrayContaining(['words', 'chars', 'copies', 'near', 'info']));
    expect(result.selection.kept).toBeGreaterThan(0);
    // Reasons name the rules that removed an item, as items.marks does.
    const copy = merged.find((m) => m.key === data.exactPair[1])!;
    expect(copy.kept).toBe(false);
    expect((JSON.parse(copy.reasons!) as Array<{ ruleId: string; detail: string }>).find((r) => r.ruleId === 'copies')?.detail).toMatch(/exact duplicate of #\d+/);
  }, 240_000);
});
