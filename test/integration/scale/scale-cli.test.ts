// The scale-out path from the CLI without a queue: a plan exported from a project (through the contract),
// shards run by the Slurm example script (as Slurm would run each array task), the merge, and the merged
// result opened as a project again with its signals.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../../main/api/client';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { ScalePlan } from '../../../main/domain/scale';
import { readItemTable } from '../../../main/engine/scale/item-table';
import { Engine } from '../../../main/engine/engine';
import type { MergeResult } from '../../../main/engine/scale/merge';
import { ROOT, winnowRun } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';
import { writeScaleDataset, type ScaleDataset } from '../../fixtures/scale';

let dir: string;
let data: ScaleDataset;
const engines: Engine[] = [];

beforeAll(async () => {
  dir = await tempDir('winnow-scale-cli-');
  data = await writeScaleDataset(dir, { tars: 3, perTar: 3, manifestRows: 3 });
}, 120_000);
afterAll(async () => { for (const e of engines) await e.close(); });

describe('scale-out from the CLI', () => {
  it('plan export → Slurm array script per shard → merge → cluster open --sample', async () => {
    const project = path.join(dir, 'project');
    const engine = new Engine('cli');
    const client = localClient(engine);
    await client.call('project.create', { dir: project });
    await client.call('sources.add', { path: data.wds });
    await client.call('sources.add', { path: data.manifest });
    await engine.requireProject().jobs.idle();
    await client.call('selection.save', { name: 'clean', rules: [{ id: 'words', kind: 'caption_words', op: '>=', threshold: 4 }, { id: 'copies', kind: 'exact_dup' }] });
    await engine.close();

    const planFile = path.join(dir, 'plan.json');
    const out = path.join(dir, 'out');
    const exported = await winnowRun(['plan', 'export', '--project', project, '--out', planFile, '--output', out, '--selection', 'clean', '--threshold', '0.97']);
    expect(exported.code, exported.stderr).toBe(0);
    const plan = ScalePlan.parse(JSON.parse(await readFile(planFile, 'utf8')));
    expect(plan.sources).toEqual([{ kind: 'webdataset', path: data.wds }, { kind: 'jsonl', path: data.manifest }]);
    expect(plan.rules).toEqual([expect.objectContaining({ id: 'words', kind: 'caption_words', op: '>=', threshold: 4 }), expect.objectContaining({ id: 'copies', kind: 'exact_dup' })]);
    expect(plan.dedup.threshold).toBe(0.97);
    expect(plan.output).toBe(out);

    // What Slurm does for `sbatch --array=0-1`: the same script with each task id.
    const script = path.join(ROOT, 'examples', 'scale-out', 'slurm-array.sbatch');
    for (const task of ['0', '1']) {
      const res = spawnSync('bash', [script], {
        encoding: 'utf8', timeout: 180_000,
        env: { ...process.env, PLAN: planFile, SLURM_ARRAY_TASK_ID: task, SLURM_ARRAY_TASK_COUNT: '2', WINNOW: `${process.execPath} ${path.join(ROOT, 'bin', 'winnow.mjs')}` },
      });
      expect(res.status, res.stderr).toBe(0);
      expect(res.stdout).toMatch(new RegExp(`committed shards/0000${task}-of-00002`));
    }
    const merged = await winnowRun(['merge', '--plan', planFile, '--shards', '2', '--json']);
    expect(merged.code, merged.stderr).toBe(0);
    const result = JSON.parse(merged.stdout) as MergeResult;
    expect(result).toMatchObject({ merged: 2, failed: [], items: data.items, errors: 1 });
    expect(result.duplicates.exactGroups).toBe(1);
    const searched = await winnowRun(['cluster', 'search', 'a red circle', '--plan', planFile, '--shards', '2', '--k', '3', '--json']);
    expect(searched.code, searched.stderr).toBe(0);
    const hits = JSON.parse(searched.stdout) as Array<{ key: string; score: number }>;
    expect(hits).toHaveLength(3);
    expect(hits[0].score).toBeGreaterThanOrEqual(hits[2].score);

    const reviewed = path.join(dir, 'review');
    const opened = await winnowRun(['cluster', 'open', out, '--project', reviewed, '--sample', '5', '--json']);
    expect(opened.code, opened.stderr).toBe(0);
    const check = new Engine('cli');
    engines.push(check);
    const c = localClient(check);
    await c.call('project.open', { dir: reviewed });
    expect(await c.call('items.count', {})).toBe(5);
    const signals = new Map((await c.call('signals.list', {})).map((s) => [s.name, s.count]));
    expect(signals.get('clip.pair')).toBe(5);
    expect(signals.get('image.min_side')).toBe(5);

    // The whole result opened: the plan's rules saved as a selection keep exactly what the merge kept.
    const whole = path.join(dir, 'whole');
    const all = await winnowRun(['cluster', 'open', out, '--project', whole, '--json']);
    expect(all.code, all.stderr).toBe(0);
    await c.call('project.open', { dir: whole });
    const decided = (await parquetReadObjects({ file: await asyncBufferFromFile(path.join(out, 'result', 'selection.parquet')) })) as Array<{ source: number; key: string; kept: boolean }>;
    const readable = new Set((await readItemTable(path.join(out, 'result', 'items.parquet'))).filter((r) => r.image_row !== null).map((r) => `${r.source}/${r.key}`));
    const mergedKept = decided.filter((d) => d.kept && readable.has(`${d.source}/${d.key}`)).map((d) => `${d.source}/${d.key}`).sort();
    const saved = await c.call('selection.get', { name: plan.name });
    expect(saved.rules.map((r) => r.id)).toEqual(['words', 'copies']);
    const keptThere = (await c.call('items.page', { offset: 0, limit: 1000, selection: { name: plan.name, show: 'kept' } })).map((i) => i.key.replace(/^[^/]+\//, '')).sort();
    expect(keptThere).toEqual(mergedKept);
    expect(saved.kept).toBe(mergedKept.length);
    // The planted copy is removed as a duplicate of the keeper the merge chose.
    expect(keptThere).toContain(`0/${data.exactPair[0]}`);
    expect(keptThere).not.toContain(`0/${data.exactPair[1]}`);
    expect(decided.filter((d) => !d.kept).length).toBeGreaterThan(1);
  }, 300_000);
});
