// Labeling runs add up instead of replacing each other; the review queue leaves near-zero top-k proposals out
// (score floor), lists label classes and detection queries apart in each run's own order; keyboard nudges of one
// box are one undo step. Real label jobs on generated scenes with the built-in model, real SQLite.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import type { MethodResult } from '../../../main/api/contract';
import { LABEL_JOB } from '../../../main/engine/curate/label-job';
import { labelCounts } from '../../../main/engine/curate/labels-query';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { ReviewService } from '../../../main/engine/review/review';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { generateScenes } from '../../../main/synthetic';
import { tempDir } from '../../fixtures/images';

/** The built-in labels model's review floor, read from the registry file (what review.queue applies by default). */
const REVIEW_FLOOR = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../../models/registry.json'), 'utf8')) as { models: { id: string; calibration?: { reviewMinScore?: number } }[] })
  .models.find((m) => m.id === 'winnow-clip-mini')!.calibration!.reviewMinScore!;

let engine: Engine;
let project: Project;
let dispatch: Dispatch;
const N = 12;

const runLabels = async (classes: string[], k: number) => {
  const job = project.jobs.start(LABEL_JOB, { model: DEFAULT_MODEL, classes: classes.map((name) => ({ name })), templates: ['a photo of a {}'], k, threshold: 0, multiLabel: false });
  expect((await project.jobs.wait(job.id)).state).toBe('done');
  return project.runs.list().find((r) => r.jobId === job.id)!.id;
};

describe('label runs and the review queue', () => {
  beforeAll(async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    const scenes = await generateScenes(N, { seed: 'label-runs', width: 96, height: 96, singleObject: true });
    await Promise.all(scenes.map((s) => writeFile(path.join(data, `s${String(s.index).padStart(2, '0')}.jpg`), s.jpeg)));
    engine = new Engine('cli');
    project = await engine.createProject(path.join(process.env.WINNOW_HOME!, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    await project.jobs.wait(engine.embed());
    dispatch = createDispatch(engine);
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('a second run adds to the first: both listed, the first kept, current labels = reviewed else newest run', async () => {
    const first = await runLabels(['red circle', 'blue square', 'green star'], 3);
    // The curator accepts run 1's top label of one item before run 2.
    const item = project.items.page(0, 1)[0].id;
    const accepted = project.db.prepare(`SELECT id, label FROM annotations WHERE item_id = ? AND run_id = ? AND json_extract(params, '$.rank') = 1`).get(item, first) as { id: number; label: string };
    new ReviewService(project.db).decide([accepted.id], 'accepted');
    const second = await runLabels(['yellow hexagon', 'purple triangle', 'red circle', 'orange diamond'], 2);

    const runs = (await dispatch('labels.runs', {})) as MethodResult<'labels.runs'>;
    expect(runs.map((r) => r.runId)).toEqual([second, first]);
    expect(runs[0].classes).toEqual(['yellow hexagon', 'purple triangle', 'red circle', 'orange diamond']);
    expect(runs[1].classes).toEqual(['red circle', 'blue square', 'green star']);
    // Run 1's proposals all still exist; only the accepted one is current.
    expect(project.db.prepare('SELECT count(*) FROM annotations WHERE run_id = ?').pluck().get(first)).toBe(N * 3);
    expect(runs[1]).toMatchObject({ labeled: N, current: 1 });
    expect(runs[0]).toMatchObject({ labeled: N, current: N });
    expect(runs[0].counts.map((c) => c.label)).toEqual(runs[0].classes);

    // Counts: every item once; the reviewed item under its accepted label, the rest under run 2's top label.
    const rank1 = project.db.prepare(`SELECT item_id, label FROM annotations WHERE run_id = ? AND json_extract(params, '$.rank') = 1`).all(second) as { item_id: number; label: string }[];
    const expected = new Map<string, number>();
    for (const r of rank1) {
      const label = r.item_id === item ? accepted.label : r.label;
      expected.set(label, (expected.get(label) ?? 0) + 1);
    }
    // An export with proposals holds the item's current labels only, not the superseded ones.
    const other = project.items.page(0, 2)[1].id;
    const exported = project.annotations.forExport(other, true).filter((a) => a.kind === 'label');
    expect(new Set(exported.map((a) => a.runId))).toEqual(new Set([second]));
    expect(exported).toHaveLength(2);
    const counts = labelCounts(project.db);
    expect(new Map(counts.labels.filter((l) => l.count > 0).map((l) => [l.label, l.count]))).toEqual(expected);
    expect(await dispatch('items.count', { label: accepted.label })).toBe(expected.get(accepted.label));
  });

  it('the queue leaves proposals under the score floor out, says how many, and shows them all at floor 0', async () => {
    const current = project.db.prepare(`SELECT id, item_id, score, state FROM annotations WHERE superseded_by IS NULL`).all() as { id: number; item_id: number; score: number; state: string }[];
    const below = current.filter((a) => a.state === 'proposed' && a.score < REVIEW_FLOOR);
    expect(below.length).toBeGreaterThan(0);
    const q = (await dispatch('review.queue', {})) as MethodResult<'review.queue'>;
    expect(q.minScore).toBe(REVIEW_FLOOR);
    expect(q.belowFloor).toBe(below.length);
    expect(q.progress.total).toBe(current.length - below.length);
    const all = (await dispatch('review.queue', { filter: { minScore: 0 } })) as MethodResult<'review.queue'>;
    expect(all.progress.total).toBe(current.length);
    expect(all.belowFloor).toBe(0);
    // Per class: only items with a current proposal of that class above the floor.
    const cls = 'red circle';
    const perClass = (await dispatch('review.queue', { filter: { label: cls } })) as MethodResult<'review.queue'>;
    const want = new Set(current.filter((a) => (a.state !== 'proposed' || a.score >= REVIEW_FLOOR)
      && project.db.prepare('SELECT label FROM annotations WHERE id = ?').pluck().get(a.id) === cls).map((a) => a.item_id));
    expect(new Set(perClass.items.map((i) => i.itemId))).toEqual(want);
  });

  it('lists label classes and detection queries apart, each in its newest run\'s order', async () => {
    const box = project.items.page(0, 2)[1].id;
    project.runs.create('detect.run', { params: { queries: ['zebra', 'apple'] } });
    const review = new ReviewService(project.db);
    review.add(box, { label: 'apple', bbox: [4, 4, 20, 20] });
    review.add(box, { label: 'hand-drawn kite', bbox: [30, 30, 10, 10] });
    const q = (await dispatch('review.queue', {})) as MethodResult<'review.queue'>;
    // Run 2's order first; labels only older runs or reviews use (run 1's accepted one, if not in run 2) after it.
    expect(q.classes.labels.slice(0, 4)).toEqual(['yellow hexagon', 'purple triangle', 'red circle', 'orange diamond']);
    expect(q.classes.queries).toEqual(['zebra', 'apple', 'hand-drawn kite']);
    expect(q.classes.labels).not.toContain('apple');
  });

  it('consecutive keyboard nudges of one box are one undo step; other edits stay their own', async () => {
    const item = project.items.page(0, 3)[2].id;
    const review = new ReviewService(project.db);
    const a = review.add(item, { label: 'apple', bbox: [10, 10, 30, 30] });
    const b = review.add(item, { label: 'apple', bbox: [50, 50, 20, 20] });
    for (let k = 1; k <= 6; k++) review.setBox(a.id, [10 + k, 10, 30, 30], undefined, { nudge: true });
    expect(review.get(a.id)!.bbox).toEqual([16, 10, 30, 30]);
    review.undo();
    expect(review.get(a.id)!.bbox).toEqual([10, 10, 30, 30]);
    review.redo();
    expect(review.get(a.id)!.bbox).toEqual([16, 10, 30, 30]);
    // A nudge of another box, a drag (not a nudge) and a decision each break the run.
    review.setBox(a.id, [17, 10, 30, 30], undefined, { nudge: true });
    review.setBox(b.id, [51, 50, 20, 20], undefined, { nudge: true });
    review.setBox(a.id, [18, 10, 30, 30], undefined, { nudge: true });
    review.setBox(a.id, [40, 40, 30, 30]);
    review.setBox(a.id, [41, 40, 30, 30], undefined, { nudge: true });
    review.undo();
    expect(review.get(a.id)!.bbox).toEqual([40, 40, 30, 30]);
    review.undo();
    expect(review.get(a.id)!.bbox).toEqual([18, 10, 30, 30]);
    review.undo();
    expect(review.get(a.id)!.bbox).toEqual([17, 10, 30, 30]);
    expect(review.get(b.id)!.bbox).toEqual([51, 50, 20, 20]);
    review.undo();
    expect(review.get(b.id)!.bbox).toEqual([50, 50, 20, 20]);
    review.undo();
    expect(review.get(a.id)!.bbox).toEqual([16, 10, 30, 30]);
  });
});
