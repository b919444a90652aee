// Embedding-based signals against the synthetic generator's ground truth, with the built-in model:
// zero-shot labels (64 colour-shape classes), multi-label on 2-object scenes, the pair score finding
// planted mismatched captions, concept scores, and the API (counts, label filter of items.page).
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../../main/api/handlers';
import { CONCEPTS_JOB } from '../../../main/engine/curate/concepts-job';
import { LABEL_JOB, type LabelParams } from '../../../main/engine/curate/label-job';
import { labelCounts, UNCERTAIN } from '../../../main/engine/curate/labels-query';
import { PAIR_JOB, PAIR_SIGNAL } from '../../../main/engine/curate/pair-score-job';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { SignalStore } from '../../../main/engine/curate/signals';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { type GroundTruth, generateScenes, isHeldOut, loadVocabulary, writeDirtyDataset } from '../../../main/synthetic';
import { tempDir } from '../../fixtures/images';
import { BUILTIN_MODEL_DIR } from '../../fixtures/vision/builtin-model';
import { winnowSync } from '../../fixtures/cli';

/**
 * Zero-shot top-1 accuracy the test holds the model to. The card of the built-in model states its
 * accuracy once a trained export is in (then: card − 2 points); the current smoke-test export is
 * untrained, so this is what it measures minus a margin (see the report printed by the test).
 */
const CARD = readFileSync(path.join(BUILTIN_MODEL_DIR, 'README.md'), 'utf8');
/** The zero-shot top-1 accuracy the card states (a fraction), or null for the untrained smoke-test export. */
function cardAccuracy(): number | null {
  if (/untrained/i.test(CARD)) return null;
  // Prefer the card's number on the TypeScript generator (what this test renders), else the trainer's.
  const ts = CARD.split(/^## Quality on the TypeScript generator/m)[1]?.split(/^## /m)[0] ?? '';
  const re = /zero-shot[^\n]*seen[^\n]*?\|\s*(\d+(?:\.\d+)?)\s*%/i;
  const m = re.exec(ts) ?? re.exec(CARD);
  return m ? Number(m[1]) / 100 : null;
}
const CARD_ACCURACY = cardAccuracy();
const TRAINED = CARD_ACCURACY !== null;
// The card's first zero-shot line is top-1 on seen combinations (current export: 99.9%); this test
// measures the same on generateScenes images (300 scenes: 1.0 seen, 1.0 held-out, 1.0 all).
// Untrained smoke-test export: chance is 1/64 ≈ 0.016 (measured 0.013), so only "above zero" is held.
const MIN_ZERO_SHOT = TRAINED ? CARD_ACCURACY! - 0.02 : 0;

const vocab = loadVocabulary();
const classNames = Object.keys(vocab.colors).flatMap((c) => Object.keys(vocab.shapes).map((s) => `${c} ${s}`));
const classes = classNames.map((name) => ({ name }));
const HELD_OUT = new Set(classNames.filter((n) => isHeldOut(vocab, n.split(' ')[0], n.split(' ')[1])));
/** The vocabulary's zero-shot prompt "a photo of a {color} {shape}" as a template over the class name. */
const vocabTemplate = vocab.templates.zero_shot.replace('{color} {shape}', '{}');

let engine: Engine;
const report: Record<string, unknown> = { model: TRAINED ? `trained (card zero-shot ${CARD_ACCURACY})` : 'untrained smoke-test export' };

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  engine = new Engine('cli');
});

afterAll(async () => {
  console.log(`labels report: ${JSON.stringify(report, null, 1)}`);
  await engine?.close();
});

async function sceneProject(name: string, scenes: Awaited<ReturnType<typeof generateScenes>>): Promise<{ project: Project; truthOf: Map<number, string[]> }> {
  const dir = await tempDir();
  await mkdir(dir, { recursive: true });
  await Promise.all(scenes.map((s) => writeFile(path.join(dir, `scene_${String(s.index).padStart(4, '0')}.jpg`), s.jpeg)));
  const project = await engine.createProject(path.join(process.env.WINNOW_HOME!, name));
  await project.jobs.wait((await engine.addSource(dir)).jobId);
  const truthOf = new Map<number, string[]>();
  for (const it of project.items.page(0, 1000)) truthOf.set(it.id, scenes[Number(/(\d+)/.exec(it.key)![1])].objects.map((o) => `${o.color} ${o.shape}`));
  return { project, truthOf };
}

function topLabels(project: Project, jobId: number): Map<number, string[]> {
  const rows = project.db.prepare(`SELECT item_id, label FROM annotations WHERE kind = 'label' AND json_extract(params, '$.job') = ? AND json_extract(params, '$.assigned') = 1 ORDER BY item_id, json_extract(params, '$.rank')`).all(jobId) as { item_id: number; label: string }[];
  const out = new Map<number, string[]>();
  for (const r of rows) out.set(r.item_id, [...(out.get(r.item_id) ?? []), r.label]);
  return out;
}

function rank1(project: Project, jobId: number): Map<number, string> {
  const rows = project.db.prepare(`SELECT item_id, label FROM annotations WHERE kind = 'label' AND json_extract(params, '$.job') = ? AND json_extract(params, '$.rank') = 1`).all(jobId) as { item_id: number; label: string }[];
  return new Map(rows.map((r) => [r.item_id, r.label]));
}

describe('zero-shot labels on single-object scenes', () => {
  let project: Project;
  let truthOf: Map<number, string[]>;
  beforeAll(async () => {
    ({ project, truthOf } = await sceneProject('zs', await generateScenes(300, { seed: 'labels-zero-shot', width: 128, height: 128, singleObject: true })));
  });

  it('labels every item (embedding first), stores top-k proposals + signals, and reaches the expected accuracy', async () => {
    const dispatch = createDispatch(engine);
    const { jobId } = (await dispatch('labels.run', { classes, templates: [vocabTemplate], k: 3, threshold: 0 })) as { jobId: number };
    const job = await project.jobs.wait(jobId);
    expect(job).toMatchObject({ state: 'done', done: 300, total: 300 });
    expect(project.jobs.list().some((j) => j.kind === 'embed' && j.state === 'done')).toBe(true);
    const top = rank1(project, jobId);
    expect(top.size).toBe(300);
    const accuracyOf = (pred: (label: string) => boolean) => {
      const ids = [...top.keys()].filter((id) => pred(truthOf.get(id)![0]));
      return { n: ids.length, accuracy: ids.filter((id) => truthOf.get(id)![0] === top.get(id)).length / Math.max(1, ids.length) };
    };
    const all = accuracyOf(() => true);
    const seen = accuracyOf((l) => !HELD_OUT.has(l));
    report.zeroShot = { all, seen, heldOut: accuracyOf((l) => HELD_OUT.has(l)), card: CARD_ACCURACY };
    // The card's number is on combinations the model was trained on: compare like with like.
    expect(seen.accuracy).toBeGreaterThanOrEqual(MIN_ZERO_SHOT);

    const item = [...top.keys()][0];
    const anns = project.annotations.forItem(item).filter((a) => a.kind === 'label');
    expect(anns).toHaveLength(3);
    expect(anns.every((a) => a.state === 'proposed' && a.origin === DEFAULT_MODEL)).toBe(true);
    expect(anns[0].params).toMatchObject({ run: 'zero-shot', job: jobId, rank: 1 });
    const config = project.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(`label.config.${anns[0].params!.config}`) as string;
    expect(JSON.parse(config)).toMatchObject({ model: DEFAULT_MODEL, templates: [vocabTemplate], threshold: 0 });
    expect(anns[0].score!).toBeGreaterThanOrEqual(anns[1].score!);
    const signals = new SignalStore(project.db);
    expect(signals.get(item, 'label.confidence')).toBeCloseTo(anns[0].score!, 5);
    expect(signals.get(item, 'label.margin')).toBeCloseTo(anns[0].score! - anns[1].score!, 5);
    expect([0, 1]).toContain(signals.get(item, 'label.uncertain'));
    // One run holds the job's model, hash and classes; its signals and proposals point at it.
    const run = project.runs.get(signals.forItem(item).find((r) => r.name === 'label.confidence')!.runId!)!;
    expect(run).toMatchObject({ kind: 'curate.label', jobId, model: DEFAULT_MODEL });
    expect(run.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(anns.every((a) => a.runId === run.id)).toBe(true);
    expect(run.counts!['annotations.label']).toBe(project.db.prepare('SELECT count(*) FROM annotations WHERE run_id = ?').pluck().get(run.id));

    // Counts add up; the label filter of items.page shows exactly the items counted under a label.
    const counts = (await dispatch('labels.counts', {})) as ReturnType<typeof labelCounts>;
    expect(counts.run).toBe('zero-shot');
    expect(counts.labels.reduce((s, l) => s + l.count, 0) + counts.uncertain).toBe(300);
    const first = counts.labels[0];
    expect(await dispatch('items.count', { label: first.label })).toBe(first.count);
    const page = (await dispatch('items.page', { offset: 0, limit: 500, label: first.label })) as { id: number }[];
    expect(page.every((i) => rank1(project, jobId).get(i.id) === first.label)).toBe(true);
    expect(await dispatch('items.count', { label: UNCERTAIN })).toBe(counts.uncertain);
  });

  it('the default template ensemble, and a rerun adds a run whose proposals supersede the previous ones', async () => {
    const defaults = (await createDispatch(engine)('labels.defaults', {})) as { templates: string[] };
    expect(defaults.templates[0]).toBe('a photo of a {}');
    const job = project.jobs.start(LABEL_JOB, { model: DEFAULT_MODEL, classes, templates: defaults.templates, k: 2, threshold: 0.05, multiLabel: false } satisfies LabelParams);
    expect((await project.jobs.wait(job.id)).state).toBe('done');
    const top = rank1(project, job.id);
    report.zeroShotAccuracyEnsemble = [...top].filter(([id, label]) => truthOf.get(id)![0] === label).length / top.size;
    const n = project.db.prepare(`SELECT count(*) FROM annotations WHERE kind = 'label' AND superseded_by IS NULL`).pluck().get();
    expect(n).toBe(300 * 2);
    // The earlier runs' proposals are kept, each marked superseded by this run.
    const earlier = project.db.prepare(`SELECT DISTINCT superseded_by FROM annotations WHERE kind = 'label' AND state = 'proposed' AND json_extract(params, '$.run') = 'zero-shot' AND run_id != (SELECT id FROM runs WHERE job_id = ?)`).pluck().all(job.id);
    expect(earlier).toEqual([project.runs.list().find((r) => r.jobId === job.id)!.id]);
    // Every item is uncertain at threshold 1 (counted apart, reachable through the grid's label filter).
    const strict = project.jobs.start(LABEL_JOB, { model: DEFAULT_MODEL, classes, templates: [vocabTemplate], k: 1, threshold: 1, multiLabel: false } satisfies LabelParams);
    expect((await project.jobs.wait(strict.id)).state).toBe('done');
    const counts = labelCounts(project.db);
    expect(counts).toMatchObject({ run: 'zero-shot', scored: 300 });
    expect(counts.labels.reduce((a, l) => a + l.count, 0)).toBe(300 - counts.uncertain);
    expect(counts.uncertain).toBeGreaterThan(290);
    expect(project.items.count(undefined, (await import('../../../main/engine/curate/labels-query')).labelPredicate(UNCERTAIN))).toBe(counts.uncertain);
  });
});

describe('API validation', () => {
  it('rejects bad labeling input before any job starts', async () => {
    const dispatch = createDispatch(engine);
    await expect(dispatch('labels.run', { classes: [{ name: 'a' }, { name: 'a' }] })).rejects.toThrow(/unique/);
    await expect(dispatch('labels.run', { classes: [{ name: 'a' }] })).rejects.toThrow(/classes/);
    await expect(dispatch('labels.run', { classes: [{ name: 'a' }, { name: 'b' }], threshold: 2 })).rejects.toThrow(/threshold/);
    await expect(dispatch('concepts.run', { prompts: [] })).rejects.toThrow(/prompts/);
    await expect(dispatch('items.count', { label: '' })).rejects.toThrow(/label/);
  });
});

describe('resume', () => {
  it('a cancelled labeling run resumes from its last batch: every item labeled once', async () => {
    const { project } = await sceneProject('resume', await generateScenes(60, { seed: 'labels-resume', width: 96, height: 96, singleObject: true }));
    await project.jobs.wait(engine.embed());
    const job = project.jobs.start(LABEL_JOB, { model: DEFAULT_MODEL, classes, templates: [vocabTemplate], k: 2, threshold: 0, multiLabel: false, batch: 10 } satisfies LabelParams);
    // Cancel right after the second batch's writes (progress events are throttled, so count inserts).
    const insert = project.annotations.insert.bind(project.annotations);
    let inserted = 0;
    project.annotations.insert = (itemId, a) => {
      if (++inserted === 40) project.jobs.cancel(job.id);
      return insert(itemId, a);
    };
    const stopped = await project.jobs.wait(job.id);
    project.annotations.insert = insert;
    expect(stopped.state).toBe('cancelled');
    expect(stopped.done).toBe(20);
    const before = project.db.prepare(`SELECT count(*) FROM annotations WHERE kind = 'label'`).pluck().get() as number;
    expect(before).toBe(stopped.done * 2);
    project.jobs.resume(job.id);
    expect(await project.jobs.wait(job.id)).toMatchObject({ state: 'done', done: 60 });
    expect(project.db.prepare(`SELECT count(*) FROM annotations WHERE kind = 'label'`).pluck().get()).toBe(120);
    expect(project.db.prepare(`SELECT count(DISTINCT item_id) FROM annotations WHERE kind = 'label' AND json_extract(params, '$.rank') = 1`).pluck().get()).toBe(60);
  });
});

describe('multi-label on 2-object scenes', () => {
  it('assigns the classes present (sigmoid per class, automatic per-class thresholds)', async () => {
    const { project, truthOf } = await sceneProject('ml', await generateScenes(300, { seed: 'labels-multi', width: 160, height: 160, objects: [{}, {}] }));
    const { jobId } = (await createDispatch(engine)('labels.run', { classes, templates: [vocabTemplate], multiLabel: true, k: 4 })) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    const got = topLabels(project, jobId);
    let tp = 0, fp = 0, fn = 0, exact = 0;
    for (const [id, truth] of truthOf) {
      const labels = new Set(got.get(id) ?? []);
      const want = new Set(truth);
      for (const l of labels) (want.has(l) ? tp++ : fp++);
      for (const w of want) if (!labels.has(w)) fn++;
      if (labels.size === want.size && [...want].every((w) => labels.has(w))) exact++;
    }
    const precision = tp / Math.max(1, tp + fp);
    // Measured with the trained export: P 0.51, R 0.57 (a global image embedding mixes both objects).
    if (TRAINED) expect(precision).toBeGreaterThan(0.4);
    report.multiLabel = { items: truthOf.size, precision: tp / Math.max(1, tp + fp), recall: tp / Math.max(1, tp + fn), exactSetMatch: exact / truthOf.size, meanAssigned: (tp + fp) / truthOf.size };
    const counts = labelCounts(project.db);
    expect(counts.run).toBe('multi-label');
    expect(counts.scored).toBe(truthOf.size);
  });
});

describe('pair score and concepts on a dirty dataset', () => {
  let project: Project;
  let truth: GroundTruth;
  const kindOf = new Map<number, string[]>();
  beforeAll(async () => {
    const data = await tempDir();
    await writeDirtyDataset(data, { count: 400, seed: 'labels-pair', format: 'jpg' });
    truth = JSON.parse(await readFile(path.join(data, 'ground_truth.json'), 'utf8')) as GroundTruth;
    project = await engine.createProject(path.join(process.env.WINNOW_HOME!, 'pair'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    for (const it of project.items.page(0, 1000)) kindOf.set(it.id, truth.items.find((g) => g.file === it.key)!.dirt);
  });

  it('scores every captioned pair; mismatched captions score low (recall at ≤5% clean removal, AUC)', async () => {
    const { jobId } = (await createDispatch(engine)('pairscore.run', {})) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    const rows = project.db.prepare('SELECT s.item_id id, s.value, r.model, r.job_id FROM signals s JOIN runs r ON r.id = s.run_id WHERE s.name = ?').all(PAIR_SIGNAL) as { id: number; value: number; model: string; job_id: number }[];
    expect(rows.every((r) => r.model === DEFAULT_MODEL && r.job_id === jobId && r.value >= -1.0001 && r.value <= 1.0001)).toBe(true);
    const noCaption = [...kindOf].filter(([, d]) => d.includes('empty_caption')).map(([id]) => id);
    const scored = new Set(rows.map((r) => r.id));
    expect(noCaption.filter((id) => scored.has(id) && !project.items.get(id)!.caption)).toEqual([]);

    const clean = rows.filter((r) => kindOf.get(r.id)!.length === 0).map((r) => r.value).sort((a, b) => a - b);
    const bad = rows.filter((r) => kindOf.get(r.id)!.includes('mismatched_caption')).map((r) => r.value);
    expect(bad.length).toBeGreaterThan(15);
    // Threshold = 5th percentile of clean pairs: removing pairs below it drops at most 5% of the clean ones.
    const threshold = clean[Math.floor(0.05 * clean.length)];
    const cleanRemoved = clean.filter((v) => v < threshold).length / clean.length;
    const recall = bad.filter((v) => v < threshold).length / bad.length;
    let above = 0;
    for (const b of bad) for (const c of clean) above += c > b ? 1 : c === b ? 0.5 : 0;
    const auc = above / (bad.length * clean.length);
    report.pairScore = { clean: clean.length, mismatched: bad.length, threshold, cleanRemoved, recall, auc };
    expect(cleanRemoved).toBeLessThanOrEqual(0.05);

    // The same threshold through the curation rules (what the Filters panel and export use).
    const ev = evaluateRules(project.db, [{ id: 'pair', kind: 'signal', signal: PAIR_SIGNAL, op: '>=', threshold }]);
    expect(ev.rules[0].removedAlone).toBe(rows.filter((r) => r.value < threshold).length);
    const top = evaluateRules(project.db, [{ id: 'pair', kind: 'signal', signal: PAIR_SIGNAL, op: '>=', keepTop: 0.9 }]);
    expect(top.rules[0].removedAlone).toBeGreaterThanOrEqual(Math.floor(0.1 * rows.length) - 2);
    expect(top.rules[0].removedAlone).toBeLessThanOrEqual(Math.ceil(0.1 * rows.length) + 2);
    report.pairScoreGate = { minRecall: 0.9, reached: recall >= 0.9, enforced: TRAINED };
    // The gate holds a trained model to recall ≥ 0.9; the untrained smoke-test export scores at chance
    // (measured recall 0.08, AUC 0.55), so there the numbers are only reported, not weakened into a pass.
    if (TRAINED) expect(recall).toBeGreaterThanOrEqual(0.9);
  });

  it('concept prompts become concept.<slug> cosine signals that rules can filter', async () => {
    const { jobId, signals } = (await createDispatch(engine)('concepts.run', { prompts: ['a watermark', 'a screenshot with text'] })) as { jobId: number; signals: string[] };
    expect(signals).toEqual(['concept.a_watermark', 'concept.a_screenshot_with_text']);
    const job = await project.jobs.wait(jobId);
    expect(job).toMatchObject({ state: 'done', kind: CONCEPTS_JOB });
    const n = project.db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck();
    const embedded = project.embeddings.listSets()[0].images;
    expect(n.get('concept.a_watermark')).toBe(embedded);
    const ev = evaluateRules(project.db, [{ id: 'wm', kind: 'signal', signal: 'concept.a_watermark', op: '<', threshold: 2 }]);
    expect(ev.rules[0]).toMatchObject({ removedAlone: 0, withSignal: embedded });
    // Watermarked items score higher on "a watermark" than clean ones, on average (report only).
    const mean = (pred: (d: string[]) => boolean) => {
      const v = (project.db.prepare('SELECT item_id id, value FROM signals WHERE name = ?').all('concept.a_watermark') as { id: number; value: number }[]).filter((r) => pred(kindOf.get(r.id)!));
      return v.reduce((s, r) => s + r.value, 0) / Math.max(1, v.length);
    };
    report.concepts = { watermarkMeanOnWatermarked: mean((d) => d.includes('watermark')), watermarkMeanOnClean: mean((d) => d.length === 0) };
    expect(project.jobs.list().some((j) => j.kind === PAIR_JOB)).toBe(true);
  });
});

describe('CLI', () => {
  it('winnow label / score / concepts run the jobs (embedding first) and print counts with --json', async () => {
    const home = await tempDir();
    const data = await tempDir();
    const scenes = await generateScenes(12, { seed: 'labels-cli', width: 96, height: 96, singleObject: true });
    await Promise.all(scenes.map((s) => Promise.all([
      writeFile(path.join(data, `s${s.index}.jpg`), s.jpeg), writeFile(path.join(data, `s${s.index}.txt`), s.caption),
    ])));
    const proj = path.join(home, 'p');
    const env = { WINNOW_HOME: home };
    expect(winnowSync(['init', proj], env).code).toBe(0);
    expect(winnowSync(['import', data, '--project', proj], env).code).toBe(0);
    const label = winnowSync(['label', '--classes', 'red circle,blue square,green star', '--project', proj, '--json'], env);
    expect(label.code, label.stderr).toBe(0);
    const out = JSON.parse(label.stdout) as { job: { state: string }; counts: { scored: number; labels: { count: number }[]; uncertain: number } };
    expect(out.job.state).toBe('done');
    expect(out.counts.scored).toBe(12);
    expect(out.counts.labels.reduce((s, l) => s + l.count, 0) + out.counts.uncertain).toBe(12);
    const score = winnowSync(['score', '--project', proj, '--json'], env);
    expect(score.code, score.stderr).toBe(0);
    expect(JSON.parse(score.stdout)).toMatchObject({ signal: 'clip.pair', n: 12 });
    const human = winnowSync(['concepts', '--prompts', 'a watermark', '--project', proj], env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('concept.a_watermark');
  });
});
