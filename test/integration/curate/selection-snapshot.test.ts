// A saved selection is a frozen snapshot: a later dedup run (stats with a looser pHash distance) changes
// what its rules select today, but not what it exports, nor what its dataset card says.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../../main/api/handlers';
import type { EvaluationT, SelectionCompareT, SelectionT } from '../../../main/api/methods/curation';
import { resolveSelection } from '../../../main/engine/curate/selection';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { writeDirtyDataset } from '../../../main/synthetic';
import { winnowRun } from '../../fixtures/cli';
import { publishOwnerApi } from '../../fixtures/owner-api';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let project: Project;
let call: ReturnType<typeof createDispatch>;
let home: string;

/** Non-keeper members of a kind's groups, straight from the group tables (what a duplicate rule removes). */
const nonKeepers = (kind: string) => new Set(project.db.prepare(
  'SELECT m.item_id FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = ? AND m.item_id != g.keeper_id',
).pluck().all(kind) as number[]);
const allIds = () => project.db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];

async function stats(k: number): Promise<void> {
  const { jobId } = (await call('curate.runStats', { force: true, k })) as { jobId: number };
  expect((await project.jobs.wait(jobId)).state).toBe('done');
}

async function exportManifest(): Promise<{ rows: string[]; card: string }> {
  const dest = path.join(await tempDir('winnow-snap-'), 'out');
  const { jobId } = (await call('export.start', { format: 'manifest', dest, selection: 'clean', options: { format: 'jsonl', copyImages: false, includeUndecodable: true } })) as { jobId: number }; // every item the snapshot kept, the undecodable one too
  expect((await project.jobs.wait(jobId)).state).toBe('done');
  const rows = readFileSync(path.join(dest, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean);
  // The export date is the only line allowed to differ between two exports of one snapshot.
  const card = readFileSync(path.join(dest, 'README.md'), 'utf8').replace(/^Exported by .*$/m, '');
  return { rows, card };
}

beforeAll(async () => {
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  const data = await tempDir();
  await writeDirtyDataset(data, { count: 60, seed: 'selection-snapshot' });
  engine = new Engine('cli');
  project = await engine.createProject(path.join(home, 'p'));
  await engine.addSource(data);
  await project.jobs.idle();
  call = createDispatch(engine);
});

afterAll(async () => {
  await engine?.close();
});

describe('saved selections are frozen snapshots', () => {
  it('a later dedup run changes the live rules, not the snapshot, its export or its card', async () => {
    await stats(2);
    const rules = [{ id: 'exact', kind: 'exact_dup' as const }, { id: 'near', kind: 'near_dup' as const }];
    const saved = (await call('selection.save', { name: 'clean', rules })) as SelectionT;
    const removedThen = new Set([...nonKeepers('exact'), ...nonKeepers('phash')]);
    const keptThen = allIds().filter((id) => !removedThen.has(id));
    expect(removedThen.size).toBeGreaterThan(0);
    expect(saved).toMatchObject({ kept: keptThen.length, total: allIds().length });
    const statsRun = project.runs.list().find((r) => r.kind === 'curate.stats')!;
    expect(saved.runIds).toEqual([statsRun.id]);
    expect([...resolveSelection(project, 'clean')]).toEqual(keptThen);
    const first = await exportManifest();
    expect(first.rows).toHaveLength(keptThen.length);

    // A looser pHash distance groups more items: the rules would now remove more.
    await stats(24);
    const removedNow = new Set([...nonKeepers('exact'), ...nonKeepers('phash')]);
    expect(removedNow.size).toBeGreaterThan(removedThen.size);

    expect([...resolveSelection(project, 'clean')]).toEqual(keptThen);
    const again = await exportManifest();
    expect(again.rows).toEqual(first.rows);
    expect(again.card).toBe(first.card);
    expect(first.card).toContain(`#${statsRun.id} curate.stats`);

    // The live view: the same rules over today's data, and which items differ.
    const cmp = (await call('selection.compare', { name: 'clean' })) as SelectionCompareT;
    const keptNow = allIds().filter((id) => !removedNow.has(id));
    expect(cmp).toMatchObject({
      snapshotKept: keptThen.length, liveKept: keptNow.length, sameRuns: false,
      onlyInSnapshot: keptThen.filter((id) => !keptNow.includes(id)).length, onlyLive: keptNow.filter((id) => !keptThen.includes(id)).length,
    });
    expect(cmp.onlyInSnapshot).toBeGreaterThan(0);
    const live = (await call('selection.evaluate', { rules })) as EvaluationT;
    expect(live.kept).toBe(keptNow.length);
    // The grid shows the snapshot for the saved name, and the live rules for the rule list.
    expect(await call('items.count', { selection: { name: 'clean', show: 'kept' } })).toBe(keptThen.length);
    expect(await call('items.count', { selection: { rules, show: 'kept' } })).toBe(keptNow.length);

    // The CLI shows the snapshot, the run it came from and today's re-evaluation.
    // This test process owns the project: the CLI attaches to its API, as it would to the app's.
    const stop = await publishOwnerApi(engine);
    const cli = await winnowRun(['select', '--name', 'clean', '--project', project.dir], { WINNOW_HOME: home });
    await stop();
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`${keptThen.length} kept, ${allIds().length - keptThen.length} removed of ${allIds().length}`);
    expect(cli.stdout).toContain(`run #${statsRun.id} curate.stats`);
    expect(cli.stdout).toContain(`Rules today: ${keptNow.length} kept`);

    // Updating the snapshot re-freezes it from today's runs.
    const refreshed = (await call('selection.refresh', { name: 'clean' })) as SelectionT;
    expect(refreshed.kept).toBe(keptNow.length);
    expect(refreshed.runIds).toEqual([project.runs.list().filter((r) => r.kind === 'curate.stats').at(-1)!.id]);
    expect([...resolveSelection(project, 'clean')]).toEqual(keptNow);
  });
});
