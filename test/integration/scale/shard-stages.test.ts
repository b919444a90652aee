// The plan's stages (pixel stats + pHash, zero-shot labels, concepts, detection) in the shard job: the same files
// imported into a project and run through the project's own jobs (through the API) give the ground truth; the
// plan is exported from that project (plan.export fills the stages from its runs and the model's calibration);
// one shard and three shards give the same per-item values, and each equals the project's value for that item.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, localClient } from '../../../main/api/client';
import { ScalePlan, type ScalePlanT } from '../../../main/domain/scale';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { FsStorage } from '../../../main/engine/scale/fs-storage';
import { compareItems, readItemTable, type ItemRow } from '../../../main/engine/scale/item-table';
import { mergeShards } from '../../../main/engine/scale/merge';
import { runShard } from '../../../main/engine/scale/shard-run';
import { loadShardModel, type ShardModel } from '../../../main/engine/scale/shard-model';
import { prepareStages } from '../../../main/engine/scale/stages/shard-stages';
import { ANNOTATIONS_FILE, compareAnnotations, readAnnotationTable, type AnnotationRow } from '../../../main/engine/scale/stages/annotation-table';
import { planUnits, shardOf, shardPath } from '../../../main/engine/scale/units';
import { tempDir } from '../../fixtures/images';
import { writeScaleDataset, type ScaleDataset } from '../../fixtures/scale';
import { ALT_CALIBRATION, ALT_MODEL, installTwoModels } from '../../fixtures/two-models';

const PIXEL = ['image.sharpness', 'image.blur', 'image.edge_width', 'image.brightness', 'image.entropy'];
const LABEL = ['label.confidence', 'label.margin', 'label.uncertain'];
const classes = [{ name: 'red circle' }, { name: 'blue square' }, { name: 'green triangle' }, { name: 'yellow star' }];
const prompts = ['a red shape', 'a blue shape'];
const queries = ['red circle', 'blue square', 'green triangle'];

let root: string;
let data: ScaleDataset;
let engine: Engine;
let client: ApiClient;
let project: Project;
let plan: ScalePlanT;
let model: ShardModel;
const saved = { ...process.env };

interface Output { rows: ItemRow[]; annotations: AnnotationRow[] }

/** Runs the plan as `count` shards; the per-shard tables concatenated in merge order. */
async function runAs(count: number, which = plan, name = `out-${count}`): Promise<Output> {
  const p = ScalePlan.parse({ ...which, output: path.join(root, name) });
  const storage = new FsStorage(p.output);
  const units = await planUnits(p);
  const rows: ItemRow[] = [];
  const annotations: AnnotationRow[] = [];
  // Several shards: the stages prepared once and kept across shards, as a worker does; one shard: prepared by runShard.
  const stages = count > 1 ? await prepareStages(p.model, p.stages, model) : undefined;
  for (let index = 0; index < count; index++) {
    const shard = shardOf(units, { index, count });
    const summary = await runShard(p, shard, { storage, model, stages });
    expect(summary.stageErrors ?? []).toEqual([]);
    const dir = await storage.open(shardPath(shard));
    rows.push(...(await readItemTable(path.join(dir, 'items.parquet'))));
    annotations.push(...(await readAnnotationTable(path.join(dir, ANNOTATIONS_FILE))));
  }
  await stages?.dispose();
  // The merge keeps every stage's signal column and the hash.
  await mergeShards(p, count, storage);
  const merged = await readItemTable(path.join(p.output, 'result', 'items.parquet'));
  rows.sort(compareItems);
  expect(merged.map((r) => [r.key, r.phash, r.signals['image.entropy'], r.signals['concept.a_red_shape']])).toEqual(rows.map((r) => [r.key, r.phash, r.signals['image.entropy'], r.signals['concept.a_red_shape']]));
  return { rows, annotations: annotations.sort(compareAnnotations) };
}

beforeAll(async () => {
  root = await tempDir('winnow-stages-');
  Object.assign(process.env, { WINNOW_HOME: path.join(root, 'home'), ...(await installTwoModels(root)) });
  data = await writeScaleDataset(path.join(root, 'data'), { tars: 3, perTar: 4, manifestRows: 5 });
  engine = new Engine('cli');
  client = localClient(engine);
  await client.call('project.create', { dir: path.join(root, 'project') });
  project = engine.requireProject();
  for (const [p, kind] of [[data.wds, 'webdataset'], [data.manifest, 'jsonl']] as const) {
    await project.jobs.wait((await client.call('sources.add', { path: p, kind })).jobId);
  }
  const wait = async (jobId: number) => expect((await project.jobs.wait(jobId)).state).toBe('done');
  await wait((await client.call('embed.start', {})).jobId);
  await wait((await client.call('curate.runStats', {})).jobId);
  await wait((await client.call('labels.run', { classes })).jobId);
  await wait((await client.call('concepts.run', { prompts })).jobId);
  await wait((await client.call('detect.run', { queries, segment: true })).jobId);
  plan = await client.call('plan.export', { output: path.join(root, 'unused'), rowsPerShard: 2, batchSize: 4 });
  model = await loadShardModel(plan.model);
}, 300_000);

afterAll(async () => {
  await model?.model.dispose();
  await engine?.close();
  process.env = saved;
});

describe('plan stages in the shard job', () => {
  it('plan.export carries what the project ran, with the chosen model and its calibration', async () => {
    const templates = (await client.call('labels.defaults', {})).templates;
    expect(plan.stages.stats).toEqual({});
    expect(plan.stages.labels).toMatchObject({ model: 'winnow-clip-mini', classes, templates, k: 3, multiLabel: false });
    expect(plan.stages.labels!.threshold).toBe((await client.call('labels.defaults', {})).threshold);
    expect(plan.stages.concepts).toEqual({ prompts });
    expect(plan.stages.detect).toMatchObject({ model: 'winnow-clip-mini', queries, segment: true });
    expect(plan.stages.detect!.maskThreshold).toBeGreaterThan(plan.stages.detect!.threshold!);
    expect(plan.stages.detect!.threshold).toBeGreaterThan(0);
    // An old plan (no stages) still parses: embedding only.
    const { stages: _, ...old } = plan;
    expect(ScalePlan.parse(old).stages).toEqual({});
  });

  it('one shard and three shards give the same signals, hashes and annotations, equal to the project jobs', async () => {
    const one = await runAs(1);
    const three = await runAs(3);
    expect(three.rows.map((r) => `${r.source}/${r.key}`)).toEqual(one.rows.map((r) => `${r.source}/${r.key}`));
    three.rows.forEach((r, i) => {
      const o = one.rows[i];
      expect(r.phash).toBe(o.phash);
      expect(Object.keys(r.signals).sort()).toEqual(Object.keys(o.signals).sort());
      for (const [name, v] of Object.entries(o.signals)) expect(Math.abs(r.signals[name] - v), `${r.key} ${name}`).toBeLessThan(1e-5);
    });
    expect(three.annotations.length).toBe(one.annotations.length);
    three.annotations.forEach((a, i) => {
      const b = one.annotations[i];
      expect({ ...a, score: 0 }).toEqual({ ...b, score: 0 });
      expect(Math.abs(a.score - b.score)).toBeLessThan(1e-5);
    });

    // Ground truth: the project's own jobs on the same files.
    const sourceIds = (project.db.prepare('SELECT id FROM sources ORDER BY id').pluck().all() as number[]);
    const items = project.db.prepare('SELECT id, source_id, key FROM items').all() as { id: number; source_id: number; key: string }[];
    const itemOf = new Map(items.map((i) => [`${sourceIds.indexOf(i.source_id)}/${i.key}`, i.id]));
    const embedded = one.rows.filter((r) => r.image_row !== null);
    expect(embedded.length).toBeGreaterThan(15);
    let boxes = 0;
    for (const row of embedded) {
      const id = itemOf.get(`${row.source}/${row.key}`);
      expect(id, `${row.source}/${row.key} in the project`).toBeDefined();
      const signals = new Map((project.db.prepare('SELECT name, value FROM signals WHERE item_id = ?').all(id) as { name: string; value: number }[]).map((s) => [s.name, s.value]));
      const names = [...PIXEL, ...LABEL, 'concept.a_red_shape', 'concept.a_blue_shape'];
      for (const name of names) {
        expect(row.signals[name], `${row.key} ${name} in the shard`).toBeTypeOf('number');
        expect(Math.abs(row.signals[name] - signals.get(name)!), `${row.key} ${name}`).toBeLessThan(1e-5);
      }
      expect(row.phash).toBe(project.db.prepare('SELECT phash FROM item_hashes WHERE item_id = ?').pluck().get(id));
      const mine = one.annotations.filter((a) => a.source === row.source && a.key === row.key);
      const theirs = project.db.prepare(`SELECT kind, label, score, bbox, rle FROM annotations WHERE item_id = ? AND state = 'proposed' AND superseded_by IS NULL ORDER BY score DESC, label`).all(id) as { kind: string; label: string; score: number; bbox: string | null; rle: string | null }[];
      const labels = (list: Array<{ label: string; score: number }>) => list.map((l) => `${l.label} ${l.score.toFixed(5)}`).sort();
      expect(labels(mine.filter((a) => a.x === null))).toEqual(labels(theirs.filter((a) => a.kind === 'label')));
      const detected = theirs.filter((a) => a.kind === 'mask');
      const shardBoxes = mine.filter((a) => a.x !== null);
      boxes += detected.length;
      expect(shardBoxes.map((a) => `${a.label} ${a.score.toFixed(4)} ${[a.x, a.y, a.w, a.h].join(',')} ${JSON.stringify(JSON.parse(a.mask!))}`).sort())
        .toEqual(detected.map((a) => `${a.label} ${a.score.toFixed(4)} ${(JSON.parse(a.bbox!) as number[]).join(',')} ${JSON.stringify(JSON.parse(a.rle!))}`).sort());
    }
    // The stages found something to compare: masks on the generated shapes, hashes on every embedded item.
    expect(boxes).toBeGreaterThan(0);
    expect(embedded.every((r) => /^[0-9a-f]{16}$/.test(r.phash ?? ''))).toBe(true);
  }, 300_000);

  it('multi-label with another model than the plan\'s: the project\'s chosen model, its calibration and its automatic thresholds', async () => {
    await client.call('models.choose', { task: 'labels', model: ALT_MODEL });
    const job = (await client.call('labels.run', { classes, multiLabel: true })).jobId;
    expect((await project.jobs.wait(job)).state).toBe('done');
    const multi = await client.call('plan.export', { output: path.join(root, 'unused'), rowsPerShard: 2, batchSize: 4 });
    const l = multi.stages.labels!;
    expect(l).toMatchObject({ model: ALT_MODEL, multiLabel: true, templates: ALT_CALIBRATION.labelTemplates, logitScale: ALT_CALIBRATION.logitScale });
    expect(Object.keys(l.thresholds!).sort()).toEqual(classes.map((c) => c.name).sort());
    const out = await runAs(2, multi, 'multi');
    const sourceIds = (project.db.prepare('SELECT id FROM sources ORDER BY id').pluck().all() as number[]);
    let assigned = 0;
    for (const row of out.rows.filter((r) => r.image_row !== null)) {
      const id = project.db.prepare('SELECT id FROM items WHERE source_id = ? AND key = ?').pluck().get(sourceIds[row.source], row.key) as number;
      for (const name of LABEL) {
        const value = project.db.prepare('SELECT value FROM signals WHERE item_id = ? AND name = ?').pluck().get(id, name) as number;
        expect(Math.abs(row.signals[name] - value), `${row.key} ${name}`).toBeLessThan(1e-5);
      }
      const theirs = project.db.prepare(`SELECT label, score FROM annotations WHERE item_id = ? AND kind = 'label' AND json_extract(params, '$.run') = 'multi-label'`).all(id) as { label: string; score: number }[];
      const mine = out.annotations.filter((a) => a.source === row.source && a.key === row.key && a.x === null);
      expect(mine.every((a) => a.model === ALT_MODEL)).toBe(true);
      expect(mine.map((a) => `${a.label} ${a.score.toFixed(5)}`).sort()).toEqual(theirs.map((a) => `${a.label} ${a.score.toFixed(5)}`).sort());
      assigned += mine.length;
    }
    expect(assigned).toBeGreaterThan(0);
  }, 300_000);
});
