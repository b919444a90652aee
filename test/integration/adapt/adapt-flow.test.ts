// The adaptation flow on a real project with the built-in model: zero-shot labels, reviews through the
// API (accept / reject / relabel, with the generator's ground truth), `adapt.run` relabelling only the
// unreviewed items as an 'adapted' run, the useful-review queue, distilling to a head folder that
// onnxruntime-node loads and that reproduces the adapted labels from the stored embeddings, labelling
// with that head, resuming an interrupted adaptation, and the CLI.
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../../main/api/handlers';
import type { AdaptReportT, HeadCardT } from '../../../main/domain/adapt';
import { ADAPT_JOB } from '../../../main/engine/adapt/adapt-job';
import { resolveAdaptParams } from '../../../main/engine/adapt/adapt-params';
import { OnnxHead } from '../../../main/engine/adapt/onnx-head';
import { readRows } from '../../../main/engine/curate/embedding-pages';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { generateScenes, loadVocabulary } from '../../../main/synthetic';
import { winnowSync } from '../../fixtures/cli';
import { boxIou } from '../../../main/domain/rle';
import type { RegionThresholdT } from '../../../main/domain/adapt';
import { bestCut } from '../../../main/engine/adapt/regions';
import { tempDir } from '../../fixtures/images';

const vocab = loadVocabulary();
const classNames = Object.keys(vocab.colors).flatMap((c) => Object.keys(vocab.shapes).map((s) => `${c} ${s}`));
const SCENES = 90;
const REVIEWED = 36;

let engine: Engine;
let project: Project;
let dispatch: ReturnType<typeof createDispatch>;
const truthOf = new Map<number, string>();
const objectsOf = new Map<number, { label: string; box: [number, number, number, number] }[]>();

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  engine = new Engine('cli');
  dispatch = createDispatch(engine);
  // Two objects, the class is the large one: a setting where zero-shot labels are often wrong.
  const scenes = await generateScenes(SCENES, { seed: 'adapt-flow', width: 96, height: 96, objects: [{ size: 'large' }, { size: 'small' }] });
  const dir = await tempDir();
  await mkdir(dir, { recursive: true });
  await Promise.all(scenes.map((s) => writeFile(path.join(dir, `scene_${String(s.index).padStart(4, '0')}.jpg`), s.jpeg)));
  project = await engine.createProject(path.join(process.env.WINNOW_HOME!, 'adapt'));
  await project.jobs.wait((await engine.addSource(dir)).jobId);
  for (const it of project.items.page(0, 1000)) {
    const scene = scenes[Number(/(\d+)/.exec(it.key)![1])];
    const o = scene.objects[0];
    truthOf.set(it.id, `${o.color} ${o.shape}`);
    objectsOf.set(it.id, scene.objects.map((x) => ({ label: `${x.color} ${x.shape}`, box: x.box })));
  }
  const { jobId } = (await dispatch('labels.run', { classes: classNames.map((name) => ({ name })), k: 3, threshold: 0.3 })) as { jobId: number };
  expect((await project.jobs.wait(jobId)).state).toBe('done');
}, 120_000);

afterAll(async () => {
  await engine?.close();
});

type Ann = { id: number; label: string; state: string; params: Record<string, unknown> | null; kind: string };
const labelsOf = (itemId: number) => project.annotations.forItem(itemId).filter((a) => a.kind === 'label') as Ann[];
const rank1 = (run: string) => new Map((project.db.prepare(`SELECT item_id, label FROM annotations WHERE kind = 'label' AND state = 'proposed' AND superseded_by IS NULL AND json_extract(params, '$.run') = ? AND json_extract(params, '$.rank') = 1`).all(run) as { item_id: number; label: string }[]).map((r) => [r.item_id, r.label]));

describe('adapting labels to reviews', () => {
  const reviewed: number[] = [];
  let headFolder = '';
  let report: AdaptReportT;

  it('reviews: accept the right proposal, reject a wrong top-1, relabel when the truth was not proposed', async () => {
    const items = [...truthOf.keys()].sort((a, b) => a - b).slice(0, REVIEWED);
    for (const itemId of items) {
      const anns = labelsOf(itemId);
      const truth = truthOf.get(itemId)!;
      const top = anns.find((a) => a.params?.rank === 1)!;
      const right = anns.find((a) => a.label === truth);
      if (top.label === truth) await dispatch('review.decide', { ids: [top.id], state: 'accepted' });
      else if (right) {
        await dispatch('review.decide', { ids: [top.id], state: 'rejected' });
        await dispatch('review.decide', { ids: [right.id], state: 'accepted' });
      } else await dispatch('review.relabel', { id: top.id, label: truth });
      reviewed.push(itemId);
    }
    expect(reviewed).toHaveLength(REVIEWED);
  });

  it('adapts from the reviews and labels exactly the unreviewed items as an "adapted" run', async () => {
    const before = new Map([...reviewed].map((id) => [id, JSON.stringify(labelsOf(id).filter((a) => a.state !== 'proposed'))]));
    const { jobId } = (await dispatch('adapt.run', {})) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    const reports = (await dispatch('adapt.reports', {})) as AdaptReportT[];
    report = reports[reports.length - 1];
    expect(report).toMatchObject({ job: jobId, model: DEFAULT_MODEL, trainingSize: REVIEWED, labelled: REVIEWED, applied: SCENES - REVIEWED, classes: classNames });
    expect(report.chosen.accuracy).toBeGreaterThanOrEqual(report.zeroShot.accuracy);
    const adapted = rank1('adapted');
    expect(adapted.size).toBe(SCENES - REVIEWED);
    for (const id of reviewed) {
      expect(adapted.has(id)).toBe(false);
      // The curator's decisions are untouched.
      expect(JSON.stringify(labelsOf(id).filter((a) => a.state !== 'proposed'))).toBe(before.get(id));
    }
    // The zero-shot proposals were replaced (the reviewed ones stay, checked above); every adapted annotation records the training-set size.
    expect(rank1('zero-shot').size).toBe(0);
    const params = labelsOf([...adapted.keys()][0]).find((a) => a.params?.rank === 1)!.params!;
    expect(params).toMatchObject({ run: 'adapted', job: jobId, trainingSize: REVIEWED, method: report.chosen.method });
    const counts = (await dispatch('labels.counts', {})) as { run: string; labels: { count: number }[]; uncertain: number };
    expect(counts.run).toBe('adapted');
    expect(counts.labels.reduce((s, l) => s + l.count, 0) + counts.uncertain).toBe(SCENES - REVIEWED);
  });

  it('orders the review queue by the adapted classifier\'s margin', async () => {
    const queue = (await dispatch('adapt.queue', { strategy: 'margin', limit: 10 })) as { itemId: number; margin: number }[];
    expect(queue).toHaveLength(10);
    const margins = project.db.prepare(`SELECT value FROM signals WHERE name = 'label.margin' ORDER BY value LIMIT 10`).pluck().all() as number[];
    expect(queue.map((q) => q.margin)).toEqual(margins);
    for (const q of queue) expect(reviewed).not.toContain(q.itemId);
    const diverse = (await dispatch('adapt.queue', { strategy: 'diverse', limit: 5 })) as { itemId: number }[];
    expect(new Set(diverse.map((d) => d.itemId)).size).toBe(5);
  });

  it('distills a head that onnxruntime-node loads and that reproduces the adapted labels from the stored embeddings', async () => {
    const out = path.join(await tempDir(), 'head');
    const card = (await dispatch('adapt.distill', { out })) as HeadCardT;
    expect(card).toMatchObject({ embeddingModel: DEFAULT_MODEL, classes: classNames, trainingSize: REVIEWED, method: report.chosen.method, accuracy: report.chosen.accuracy });
    expect(JSON.parse(readFileSync(path.join(out, 'winnow-head.json'), 'utf8'))).toEqual(card);
    expect(readFileSync(path.join(out, 'README.md'), 'utf8')).toContain(`${REVIEWED} reviewed items`);
    const head = await OnnxHead.load(path.join(out, 'head.onnx'));
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    const adapted = rank1('adapted');
    const ids = [...adapted.keys()];
    const rows = ids.map((id) => project.embeddings.rowsOf(set, id)!.imageRow);
    const matrix = project.embeddings.matrix(set, 'image');
    const probs = await head.probs(readRows(matrix, rows));
    matrix.close();
    await head.dispose();
    ids.forEach((id, i) => {
      const p = probs.subarray(i * classNames.length, (i + 1) * classNames.length);
      expect(classNames[p.indexOf(Math.max(...p))]).toBe(adapted.get(id));
    });

    // Loaded back into Winnow: labelling with the head gives the same labels.
    const { jobId } = (await dispatch('adapt.run', { head: out })) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    expect(rank1('adapted')).toEqual(adapted);
    await expect(dispatch('adapt.distill', { out })).rejects.toThrow(/already exists/);
    headFolder = out;
  });

  it('installs the distilled head as a model (models.import / winnow models add): listed with its card, chosen by id for labelling, refused for another embedding model', async () => {
    const added = (await dispatch('models.import', { path: headFolder, id: 'my-head' })) as { id: string; report: { ok: boolean; task: string; head?: { trainingSize: number } } };
    expect(added.report).toMatchObject({ ok: true, task: 'classification-head', head: { trainingSize: REVIEWED } });
    const listed = ((await dispatch('models.list', {})) as { id: string; task: string; installed: boolean; head?: { classes: string[]; trainingSize: number; accuracy: number; embeddingModel: string } | null }[]).find((m) => m.id === 'my-head')!;
    expect(listed).toMatchObject({ task: 'classification-head', installed: true, head: { classes: classNames, trainingSize: REVIEWED, accuracy: report.chosen.accuracy, embeddingModel: DEFAULT_MODEL } });
    // Chosen by its id: the same labels as the folder itself gave.
    const before = rank1('adapted');
    const { jobId } = (await dispatch('adapt.run', { head: 'my-head' })) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    expect(rank1('adapted')).toEqual(before);
    // A head whose card names another embedding model is refused before any job starts, saying why.
    const other = path.join(await tempDir(), 'other-head');
    await mkdir(other, { recursive: true });
    await writeFile(path.join(other, 'head.onnx'), readFileSync(path.join(headFolder, 'head.onnx')));
    await writeFile(path.join(other, 'winnow-head.json'), JSON.stringify({ ...JSON.parse(readFileSync(path.join(headFolder, 'winnow-head.json'), 'utf8')), embeddingModel: 'clip-vit-b32' }));
    await dispatch('models.import', { path: other, id: 'other-head' });
    const jobsBefore = project.db.prepare('SELECT count(*) FROM jobs').pluck().get();
    await expect(dispatch('adapt.run', { head: 'other-head' })).rejects.toThrow(/classifies clip-vit-b32 image embeddings .*but this project's labels use winnow-clip-mini/);
    expect(project.db.prepare('SELECT count(*) FROM jobs').pluck().get()).toBe(jobsBefore);
    await expect(dispatch('adapt.run', { head: 'no-such-head' })).rejects.toThrow(/no installed classification head 'no-such-head'/);
    // A folder that is no head and no model is not installed.
    const broken = path.join(await tempDir(), 'broken-head');
    await mkdir(broken, { recursive: true });
    await writeFile(path.join(broken, 'winnow-head.json'), '{"format":"winnow-adapted-head"}');
    await writeFile(path.join(broken, 'head.onnx'), 'not onnx');
    await expect(dispatch('models.import', { path: broken })).rejects.toThrow(/not a usable model/);
    // The CLI's `models add` is the same import.
    const cli = winnowSync(['models', 'add', headFolder, '--id', 'cli-head']);
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`classification head over winnow-clip-mini \\(\\d+-d\\): 64 classes, \\w+ trained on ${REVIEWED} reviews`));
  });

  it('resumes an interrupted adaptation without losing or repeating items', async () => {
    const params = { ...resolveAdaptParams(project.db, {}), batch: 8 };
    const job = project.jobs.start(ADAPT_JOB, params);
    // Cancel once the fitted head is checkpointed (the fit is never redone), then resume from the file.
    const checkpointOf = () => project.db.prepare('SELECT checkpoint FROM jobs WHERE id = ?').pluck().get(job.id) as string | null;
    await new Promise<void>((resolve) => {
      const off = engine.events.on('job.progress', (j) => {
        if (j.id !== job.id || !checkpointOf()) return;
        off();
        project.jobs.cancel(job.id);
        resolve();
      });
    });
    expect((await project.jobs.wait(job.id)).state).toBe('cancelled');
    const saved = JSON.parse(checkpointOf()!) as { head: string; lastItemId: number };
    expect(saved.lastItemId).toBe(0);
    project.jobs.resume(job.id);
    expect((await project.jobs.wait(job.id)).state).toBe('done');
    expect((JSON.parse(checkpointOf()!) as { head: string }).head).toBe(saved.head);
    const counts = project.db.prepare(`SELECT item_id, count(*) n FROM annotations WHERE kind = 'label' AND json_extract(params, '$.job') = ? AND json_extract(params, '$.rank') = 1 GROUP BY item_id`).all(job.id) as { n: number }[];
    expect(counts).toHaveLength(SCENES - REVIEWED);
    expect(counts.every((c) => c.n === 1)).toBe(true);
  });

  it('runs from the CLI: winnow adapt, label --adapted, --order, and a clear message for a bad order', async () => {
    await engine.closeProject();
    const dir = project.dir;
    const run = winnowSync(['label', '--adapted', '--project', dir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { report: AdaptReportT };
    expect(result.report).toMatchObject({ trainingSize: REVIEWED, applied: SCENES - REVIEWED });
    // The report's curve: first 10, 20, then all reviews; its last point is the fit itself.
    expect(result.report.curve?.map((p) => p.reviews)).toEqual([10, 20, REVIEWED]);
    expect(result.report.curve?.at(-1)?.accuracy).toBe(result.report.chosen.accuracy);
    const order = winnowSync(['adapt', '--order', 'margin', '--limit', '3', '--project', dir, '--json']);
    expect(order.code, order.stderr).toBe(0);
    expect(JSON.parse(order.stdout)).toHaveLength(3);
    const bad = winnowSync(['adapt', '--order', 'best', '--project', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--order must be one of uncertainty, margin, diverse, random/);
    // A fresh process loads the model and fits (with its accuracy curve): slow on a busy machine.
  }, 240_000);
});

describe('adapting detection thresholds to reviewed boxes', () => {
  type Box = { id: number; itemId: number; label: string; score: number; bbox: [number, number, number, number] };
  const proposals = (): Box[] => (project.db.prepare(`SELECT id, item_id itemId, label, score, bbox FROM annotations WHERE kind = 'box' AND state = 'proposed' AND json_extract(params, '$.run') = 'detect'`).all() as { id: number; itemId: number; label: string; score: number; bbox: string }[]).map((r) => ({ ...r, bbox: JSON.parse(r.bbox) }));
  /** The ground truth's verdict: a proposal is right when it overlaps an object of its class (IoU ≥ 0.5). */
  const isRight = (p: Box) => objectsOf.get(p.itemId)!.some((o) => o.label === p.label && boxIou(o.box, p.bbox) >= 0.5);
  const rejectsPerAccept = (list: Box[]) => list.filter((p) => !isRight(p)).length / Math.max(1, list.filter(isRight).length);
  let queries: string[] = [];
  let cutItem = 0;
  let heldBefore: Box[] = [];

  it('learns per-class cuts from accepted and rejected boxes, and the next run proposes fewer rejects per accept on items not reviewed', async () => {
    await engine.openProject(project.dir);
    project = engine.requireProject();
    queries = [...new Set([...objectsOf.values()].flat().map((o) => o.label))].slice(0, 24);
    const run = async (minScores?: Record<string, number>) => {
      const { jobId } = (await dispatch('detect.run', { queries, segment: false, ...(minScores && { minScores }) })) as { jobId: number };
      expect((await project.jobs.wait(jobId)).state).toBe('done');
      return proposals();
    };
    // Review the proposals of the first half of the items; the second half is held out.
    cutItem = [...objectsOf.keys()].sort((a, b) => a - b)[Math.floor(objectsOf.size / 2)];
    const all = await run();
    const first = all.filter((p) => p.itemId < cutItem);
    heldBefore = all.filter((p) => p.itemId >= cutItem);
    expect(first.some(isRight) && first.some((p) => !isRight(p))).toBe(true);
    for (const p of first) await dispatch('review.decide', { ids: [p.id], state: isRight(p) ? 'accepted' : 'rejected' });
    const learnt = (await dispatch('adapt.regions', {})) as RegionThresholdT[];
    // Each class's cut is the one an exhaustive search over its reviewed scores picks.
    for (const r of learnt) {
      const reviews = first.filter((p) => p.label === r.label).map((p) => ({ score: p.score, accepted: isRight(p) }));
      expect(r.threshold).toBe(bestCut(reviews));
      expect(r.accepted + r.rejected).toBe(reviews.length);
    }
    const thresholds = Object.fromEntries(learnt.filter((r) => r.threshold !== null).map((r) => [r.label, r.threshold!]));
    expect(Object.keys(thresholds).length).toBeGreaterThan(0);
    const heldAfter = (await run(thresholds)).filter((p) => p.itemId >= cutItem);
    expect(heldAfter.filter(isRight).length).toBeGreaterThan(0);
    expect(rejectsPerAccept(heldAfter)).toBeLessThan(rejectsPerAccept(heldBefore));
  });

  it('with a region cache over the reviewed boxes, the next run adapts the scores and proposes fewer rejects per accept on items not reviewed', async () => {
    const { jobId } = (await dispatch('detect.run', { queries, segment: false, regionCache: true })) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    const run = project.runs.list().find((r) => r.jobId === jobId)!;
    const summary = run.params.regionCache as { examples: number; rejectsPerAcceptBefore: number; rejectsPerAcceptAfter: number };
    const reviewedBoxes = project.db.prepare(`SELECT count(*) FROM annotations WHERE kind = 'box' AND state IN ('accepted', 'rejected') AND label IN (${queries.map(() => '?').join(',')})`).pluck().get(...queries) as number;
    expect(summary.examples).toBe(reviewedBoxes);
    expect(summary.rejectsPerAcceptAfter).toBeLessThan(summary.rejectsPerAcceptBefore);
    const stored = project.db.prepare(`SELECT score, json_extract(params, '$.detectorScore') raw FROM annotations WHERE kind = 'box' AND state = 'proposed' AND json_extract(params, '$.job') = ?`).all(jobId) as { score: number; raw: number | null }[];
    // Every stored proposal keeps the detector's own score next to the adapted one.
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.every((r) => typeof r.raw === 'number')).toBe(true);
    const heldAfter = proposals().filter((p) => p.itemId >= cutItem);
    expect(heldAfter.filter(isRight).length).toBeGreaterThan(0.7 * heldBefore.filter(isRight).length);
    expect(rejectsPerAccept(heldAfter)).toBeLessThan(rejectsPerAccept(heldBefore));
  });
});

describe('a new zero-shot run', () => {
  it('supersedes the adapted proposals (one current single-label run at a time, the adapted one kept as history) and keeps the reviews', async () => {
    const reviewedBefore = project.db.prepare(`SELECT count(*) FROM annotations WHERE kind = 'label' AND state != 'proposed'`).pluck().get() as number;
    const adapted = rank1('adapted').size;
    expect(adapted).toBeGreaterThan(0);
    const { jobId } = (await dispatch('labels.run', { classes: classNames.map((name) => ({ name })), k: 3, threshold: 0.3 })) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    expect(rank1('adapted').size).toBe(0);
    expect(project.db.prepare(`SELECT count(DISTINCT item_id) FROM annotations WHERE json_extract(params, '$.run') = 'adapted' AND json_extract(params, '$.rank') = 1 AND superseded_by IS NOT NULL`).pluck().get()).toBe(adapted);
    expect(rank1('zero-shot').size).toBe(SCENES);
    expect(project.db.prepare(`SELECT count(*) FROM annotations WHERE kind = 'label' AND state != 'proposed'`).pluck().get()).toBe(reviewedBefore);
  });
});
