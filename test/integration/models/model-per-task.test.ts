// Model per task and per-model calibration, end to end on real ONNX sessions and a real project: two installed
// dual encoders (the built-in one and a copy with other calibration values), each task run with the model the
// project chose, every run recording that model, and defaults following its registry entry, then the project's override.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiClient, localClient } from '../../../main/api/client';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { DEFAULT_TEMPLATES } from '../../../main/engine/curate/zero-shot';
import { writeDirtyDataset } from '../../../main/synthetic/index';
import { tempDir } from '../../fixtures/images';
import { winnowRun } from '../../fixtures/cli';
import { publishOwnerApi } from '../../fixtures/owner-api';
import { ALT_CALIBRATION, ALT_MODEL, installTwoModels } from '../../fixtures/two-models';

const MINI = 'winnow-clip-mini';
const classes = [{ name: 'red circle' }, { name: 'blue square' }, { name: 'green triangle' }];

let engine: Engine;
let client: ApiClient;
let project: Project;
let env: Record<string, string>;
let items: number;
const saved = { ...process.env };

const runOfJob = (jobId: number) => project.runs.list().find((r) => r.jobId === jobId)!;
async function done(jobId: number) {
  const job = await project.jobs.wait(jobId);
  expect(job.state, job.error ?? '').toBe('done');
  return runOfJob(jobId);
}

beforeAll(async () => {
  const root = await tempDir();
  env = { WINNOW_HOME: path.join(root, 'home'), ...(await installTwoModels(root)) };
  Object.assign(process.env, env);
  engine = new Engine('cli');
  client = localClient(engine);
  const data = path.join(root, 'data');
  await writeDirtyDataset(data, { count: 40, seed: 'model-per-task', format: 'jpg' });
  await client.call('project.create', { dir: path.join(root, 'project') });
  project = engine.requireProject();
  await project.jobs.wait((await client.call('sources.add', { path: data })).jobId);
  items = project.items.count();
}, 120_000);

afterAll(async () => {
  await engine?.close();
  process.env = saved;
});

describe('model per task', () => {
  it('lists both installed models for the dual-encoder tasks and defaults to the built-in one', async () => {
    const choices = await client.call('models.choices', {});
    const embed = choices.find((c) => c.task === 'embed')!;
    expect(embed).toMatchObject({ model: MINI, chosen: null, default: MINI });
    expect(embed.candidates.map((c) => c.id).sort()).toEqual([MINI, ALT_MODEL].sort());
    expect(choices.find((c) => c.task === 'refine')!.candidates).toEqual([]);
    await expect(client.call('models.choose', { task: 'refine', model: ALT_MODEL })).rejects.toThrow(/cannot do Refine/);
    await expect(client.call('models.choose', { task: 'labels', model: 'clip-vit-base-patch32' })).rejects.toThrow(/not installed/);
  });

  it('embeds with the chosen model; the embedding sets of both models live side by side', async () => {
    await client.call('models.choose', { task: 'embed', model: ALT_MODEL });
    const status = await client.call('vision.status', {});
    expect(status.model).toBe(ALT_MODEL);
    const alt = await client.call('embed.start', {});
    expect((await project.jobs.wait(alt.jobId)).state).toBe('done');
    expect((await client.call('jobs.get', { id: alt.jobId })).model).toBe(ALT_MODEL);
    const mini = await client.call('embed.start', { model: MINI });
    expect((await project.jobs.wait(mini.jobId)).state).toBe('done');
    const sets = await client.call('embeddings.list', {});
    expect(sets.map((s) => [s.model, s.images]).sort()).toEqual([[ALT_MODEL, items], [MINI, items]].sort());
    const search = await client.call('search.text', { query: 'a red circle', k: 3 });
    expect(search.model).toBe(ALT_MODEL);
    expect((await client.call('search.text', { query: 'a red circle', k: 3, model: MINI })).model).toBe(MINI);
  }, 120_000);

  it('scores pairs with each model into its own signal, each run recording its model and calibrated threshold', async () => {
    await client.call('models.choose', { task: 'pairscore', model: MINI });
    const byProject = await done((await client.call('pairscore.run', {})).jobId);
    expect(byProject).toMatchObject({ model: MINI, params: { threshold: 0.4 } });
    const explicit = await done((await client.call('pairscore.run', { model: ALT_MODEL })).jobId);
    expect(explicit).toMatchObject({ model: ALT_MODEL, params: { threshold: ALT_CALIBRATION.pairThreshold } });
    const signals = await client.call('signals.list', {});
    const perModel = signals.filter((s) => s.name.startsWith('clip.pair:'));
    expect(perModel.map((s) => [s.name, s.model]).sort()).toEqual([[`clip.pair:${ALT_MODEL}`, ALT_MODEL], [`clip.pair:${MINI}`, MINI]]);
    expect(perModel[0].count).toBe(perModel[1].count);
    expect(perModel[0].count).toBeGreaterThan(items / 2);
    // The shared name holds the latest run's scores and says which model made them.
    expect(signals.find((s) => s.name === 'clip.pair')!.model).toBe(ALT_MODEL);
  }, 120_000);

  it('labels with the chosen model and its entry, then the project override, then an explicit value', async () => {
    await client.call('models.choose', { task: 'labels', model: ALT_MODEL });
    const defaults = await client.call('labels.defaults', {});
    expect(defaults).toMatchObject({ model: ALT_MODEL, templates: ALT_CALIBRATION.labelTemplates, threshold: ALT_CALIBRATION.labelThreshold });
    const fromEntry = await done((await client.call('labels.run', { classes })).jobId);
    expect(fromEntry.model).toBe(ALT_MODEL);
    expect(fromEntry.params).toMatchObject({
      templates: ALT_CALIBRATION.labelTemplates, threshold: ALT_CALIBRATION.labelThreshold, logitScale: ALT_CALIBRATION.logitScale,
      calibration: { labelTemplates: 'model', labelThreshold: 'model', logitScale: 'model' },
    });
    expect((await client.call('labels.counts', {})).model).toBe(ALT_MODEL);

    const cal = await client.call('models.calibrate', { model: ALT_MODEL, set: { labelThreshold: 0.2 } });
    expect(cal.entries.find((e) => e.key === 'labelThreshold')).toMatchObject({ modelValue: 0.45, override: 0.2, value: 0.2, from: 'project' });
    const fromOverride = await done((await client.call('labels.run', { classes })).jobId);
    expect(fromOverride.params).toMatchObject({ threshold: 0.2, calibration: { labelThreshold: 'project', labelTemplates: 'model' } });
    const explicit = await done((await client.call('labels.run', { classes, threshold: 0.6 })).jobId);
    expect(explicit.params).toMatchObject({ threshold: 0.6, calibration: { labelThreshold: 'explicit' } });

    const reset = await client.call('models.calibrate', { model: ALT_MODEL, reset: ['labelThreshold'] });
    expect(reset.entries.find((e) => e.key === 'labelThreshold')).toMatchObject({ override: null, value: 0.45, from: 'model' });
    // The built-in model's own values are untouched by the other model's override.
    const mini = await done((await client.call('labels.run', { classes, model: MINI })).jobId);
    expect(mini).toMatchObject({ model: MINI, params: { templates: [...DEFAULT_TEMPLATES], threshold: 0.3 } });
    await expect(client.call('models.calibrate', { model: ALT_MODEL, set: { labelTemplates: ['no placeholder'] } })).rejects.toThrow(/needs \{\}/);
  }, 180_000);

  it('finds semantic duplicates with the embedding model; a value the model lacks is an error until the project sets it', async () => {
    const verified = await done((await client.call('dedup.semantic.run', {})).jobId);
    expect(verified).toMatchObject({ model: ALT_MODEL, params: { threshold: ALT_CALIBRATION.semanticCandidate, calibration: { semanticCandidate: 'model' } } });
    await expect(client.call('dedup.semantic.run', { verify: 'none' })).rejects.toThrow(/winnow-clip-alt has no semanticCosine.*models calibrate/);
    await client.call('models.calibrate', { model: ALT_MODEL, set: { semanticCosine: 0.999 } });
    const cosine = await done((await client.call('dedup.semantic.run', { verify: 'none' })).jobId);
    expect(cosine.params).toMatchObject({ threshold: 0.999, calibration: { semanticCosine: 'project' } });
    const mini = await done((await client.call('dedup.semantic.run', { verify: 'none', model: MINI })).jobId);
    expect(mini).toMatchObject({ model: MINI, params: { threshold: 0.996 } });
  }, 120_000);

  it('detects with the detection model and segments with the segmentation model, each with its thresholds', async () => {
    await client.call('models.choose', { task: 'detect', model: ALT_MODEL });
    const boxes = await done((await client.call('detect.run', { queries: ['red circle'], segment: false })).jobId);
    expect(boxes).toMatchObject({ model: ALT_MODEL, params: { threshold: ALT_CALIBRATION.detectThreshold } });
    const masks = await done((await client.call('detect.run', { queries: ['red circle'], segment: true })).jobId);
    expect(masks.model).toBe(MINI);
    expect(masks.params.threshold).toBe(0.2);
    expect(masks.params.maskThreshold).toBeCloseTo(0.35, 10);
    const annotated = project.db.prepare('SELECT DISTINCT origin FROM annotations WHERE run_id = ?').pluck().all(boxes.id);
    expect(annotated.every((o) => o === ALT_MODEL)).toBe(true);
  }, 180_000);

  it('the CLI uses and changes the same choices through the contract', async () => {
    const stop = await publishOwnerApi(engine);
    try {
      const dir = project.dir;
      const choose = await winnowRun(['models', 'choose', 'pairscore', ALT_MODEL, '--project', dir, '--json'], env);
      expect(choose.code, choose.stderr).toBe(0);
      expect((JSON.parse(choose.stdout) as { task: string; model: string }[]).find((c) => c.task === 'pairscore')!.model).toBe(ALT_MODEL);
      const set = await winnowRun(['models', 'calibrate', '--model', ALT_MODEL, '--set', 'pairThreshold=0.5', '--project', dir], env);
      expect(set.code, set.stderr).toBe(0);
      expect(set.stdout).toMatch(/pairThreshold\s+0\.5\s+project override \(model default 0\.55\)/);
      const score = await winnowRun(['score', '--project', dir, '--json'], env);
      expect(score.code, score.stderr).toBe(0);
      const latest = project.runs.list().filter((r) => r.kind === 'curate.pairscore').at(-1)!;
      expect(latest).toMatchObject({ model: ALT_MODEL, params: { threshold: 0.5 } });
      const shown = await winnowRun(['models', 'choices', '--project', dir], env);
      expect(shown.stdout).toMatch(/Pair scoring\s+winnow-clip-alt\n/);
      expect(shown.stdout).toMatch(/Segmentation\s+winnow-clip-mini \(default\)/);
    } finally {
      await stop();
    }
  }, 180_000);
});
