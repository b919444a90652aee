// The detection job end to end on the built-in model: proposals stored per query with origin,
// params and masks sized to the image; a rerun replaces unreviewed proposals, keeps reviewed ones.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine';
import { DETECT_JOB } from '../../../main/engine/detect/detect-job';
import { decodeRle } from '../../../main/domain/rle';
import type { Project } from '../../../main/engine/project';
import { ReviewService } from '../../../main/engine/review/review';
import { generateScenes } from '../../../main/synthetic';
import { winnowSync } from '../../fixtures/cli';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let project: Project;

describe('detect.run job', () => {
  beforeAll(async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    const scenes = await generateScenes(4, { seed: 'detect-job', width: 150, height: 100, objects: [{ color: 'red', shape: 'circle' }, { color: 'blue', shape: 'square' }] });
    await Promise.all(scenes.map((s) => writeFile(path.join(data, `s${s.index}.jpg`), s.jpeg)));
    engine = new Engine('cli');
    project = await engine.createProject(path.join(process.env.WINNOW_HOME!, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('stores proposals (boxes + masks) with origin, params and progress over the selection', async () => {
    // Threshold 0: every query yields a region on every image, whatever the model's quality.
    const job = project.jobs.start(DETECT_JOB, { queries: ['red circle', 'blue square'], threshold: 0, segment: true, selection: null, batch: 3 });
    const done = await project.jobs.wait(job.id);
    expect(done).toMatchObject({ state: 'done', done: 4, total: 4 });
    const rows = project.db.prepare(`SELECT * FROM annotations`).all() as { item_id: number; kind: string; label: string; state: string; origin: string; params: string; rle: string; bbox: string; score: number }[];
    expect(new Set(rows.map((r) => r.item_id)).size).toBe(4);
    // One run per job: model, hash and settings once; every proposal points at it.
    const run = project.runs.list().find((r) => r.jobId === job.id)!;
    expect(run).toMatchObject({ kind: DETECT_JOB, model: 'winnow-clip-mini', params: { detector: 'dense-clip', threshold: 0, segment: true } });
    expect(run.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(run.counts).toEqual({ 'annotations.mask': rows.length });
    expect(new Set(rows.map((r) => (r as unknown as { run_id: number }).run_id))).toEqual(new Set([run.id]));
    for (const r of rows) {
      expect(r).toMatchObject({ kind: 'mask', state: 'proposed', origin: 'winnow-clip-mini' });
      // 150 × 100 is covered by two overlapping square tiles, not one center crop.
      expect(JSON.parse(r.params)).toMatchObject({ run: 'detect', job: job.id, detector: 'dense-clip', threshold: 0, tiles: 2 });
      const rle = JSON.parse(r.rle);
      expect(rle.size).toEqual([100, 150]);
      const [x, y, w, h] = JSON.parse(r.bbox);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x + w).toBeLessThanOrEqual(150);
      expect(y + h).toBeLessThanOrEqual(100);
      const mask = decodeRle(rle);
      expect(mask.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      // A segmentation's box is its mask's tight box (the detector's own box was often looser).
      let x0 = 150, y0 = 100, x1 = -1, y1 = -1;
      mask.forEach((v, i) => { if (v) { const px = i % 150, py = Math.floor(i / 150); x0 = Math.min(x0, px); y0 = Math.min(y0, py); x1 = Math.max(x1, px); y1 = Math.max(y1, py); } });
      expect([x, y, w, h]).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    }
    expect(new Set(rows.map((r) => r.label))).toEqual(new Set(['red circle', 'blue square']));
  });

  it('a rerun replaces unreviewed proposals and keeps reviewed ones', async () => {
    const review = new ReviewService(project.db);
    const first = review.queue()[0];
    const kept = review.forItem(first.itemId)[0];
    review.decide([kept.id], 'accepted');
    const before = project.db.prepare('SELECT count(*) FROM annotations').pluck().get() as number;
    await project.jobs.wait(project.jobs.start(DETECT_JOB, { queries: ['red circle', 'blue square'], threshold: 0, segment: false, selection: null }).id);
    expect(review.get(kept.id)!.state).toBe('accepted');
    const kinds = project.db.prepare(`SELECT kind, count(*) n FROM annotations WHERE state = 'proposed' GROUP BY kind`).all();
    expect(kinds).toEqual([{ kind: 'box', n: before - 1 }]);
  });

  it('a segmentation is stored with its mask\'s tight box even when the detector\'s box is looser', async () => {
    // Masks thresholded well above the region threshold: the detector's regions are larger than their masks.
    const job = project.jobs.start(DETECT_JOB, { queries: ['red circle', 'blue square'], threshold: 0, maskThreshold: 0.6, segment: true, selection: null });
    expect((await project.jobs.wait(job.id)).state).toBe('done');
    const rows = (project.db.prepare(`SELECT bbox, rle, params FROM annotations WHERE kind = 'mask' AND json_extract(params, '$.job') = ?`).all(job.id) as { bbox: string; rle: string; params: string }[]);
    expect(rows.length).toBeGreaterThan(0);
    let looser = 0;
    for (const r of rows) {
      const rle = JSON.parse(r.rle);
      const [h, w] = rle.size;
      let x0 = w, y0 = h, x1 = -1, y1 = -1;
      decodeRle(rle).forEach((v, i) => { if (v) { const px = i % w, py = Math.floor(i / w); x0 = Math.min(x0, px); y0 = Math.min(y0, py); x1 = Math.max(x1, px); y1 = Math.max(y1, py); } });
      expect(JSON.parse(r.bbox)).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
      const given = JSON.parse(r.params).detector_box as number[] | undefined;
      if (given && given[2] * given[3] > (x1 - x0 + 1) * (y1 - y0 + 1)) looser++;
    }
    expect(looser).toBeGreaterThan(0);
  });

  it('runs from the CLI: winnow detect --queries … --segment --json', async () => {
    const dir = project.dir;
    await engine.close();
    const res = winnowSync(['detect', '--project', dir, '--queries', 'red circle,blue square', '--threshold', '0', '--segment', '--json']);
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.job).toMatchObject({ kind: 'detect.run', state: 'done', done: 4 });
    expect(out.counts.map((c: { label: string }) => c.label).sort()).toEqual(['blue square', 'red circle']);
  });
});
