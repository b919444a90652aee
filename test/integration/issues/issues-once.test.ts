// A job run again over the same bad files never re-reports what is already recorded (unique index issues_once,
// migration 10): import, pixel statistics, embedding, detection and export each run three times over a folder with a truncated
// JPEG, a file deleted after import and a file that is no image at all; the issues list is the same after the second round.
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import { STATS_JOB } from '../../../main/engine/curate/stats-job';
import { DETECT_JOB } from '../../../main/engine/detect/detect-job';
import { Engine } from '../../../main/engine/engine';
import type { Project } from '../../../main/engine/project';
import { generateScenes } from '../../../main/synthetic';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let project: Project;
let data: string;
let dispatch: Dispatch;
let exportDir: string;

interface Row { kind: string; item_id: number | null; location: string | null; message: string; detail: string | null }
const issues = () => project.db.prepare('SELECT kind, item_id, location, message, detail FROM issues ORDER BY id').all() as Row[];

async function round(): Promise<void> {
  for (const start of [
    () => engine.addSource(data).then((r) => r.jobId),
    () => project.jobs.start(STATS_JOB, {}).id,
    () => engine.embed(),
    () => project.jobs.start(DETECT_JOB, { queries: ['red circle'], threshold: 0, selection: null, segment: false }).id,
    // Undecodable items included: the export meets the deleted file and skips it with a warning.
    () => dispatch('export.start', { format: 'imagefolder', dest: exportDir, selection: null, options: { includeUndecodable: true, overwrite: true } }).then((r) => (r as { jobId: number }).jobId),
  ]) {
    const job = await project.jobs.wait(await start());
    expect(job.state, job.title).toBe('done');
  }
}

describe('issues are recorded once', () => {
  beforeAll(async () => {
    process.env.WINNOW_HOME = await tempDir();
    data = await tempDir();
    const scenes = await generateScenes(5, { seed: 'issues-once', width: 96, height: 96 });
    await Promise.all(scenes.map((s) => writeFile(path.join(data, `good_${s.index}.jpg`), s.jpeg)));
    // A JPEG cut after 55% of its bytes: its header reads (it is imported), its pixels do not decode.
    await writeFile(path.join(data, 'cut.jpg'), scenes[0].jpeg.subarray(0, Math.floor(scenes[0].jpeg.length * 0.55)));
    await writeFile(path.join(data, 'gone.jpg'), scenes[1].jpeg);
    await writeFile(path.join(data, 'notes.jpg'), Buffer.from('plain text with an image extension'));
    engine = new Engine('cli');
    dispatch = createDispatch(engine);
    exportDir = path.join(await tempDir(), 'out');
    project = await engine.createProject(path.join(process.env.WINNOW_HOME!, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    await rm(path.join(data, 'gone.jpg'));
  });
  afterAll(async () => {
    await engine?.close();
  });

  it('runs every job three times over the same bad files and the issues list does not grow after the first', async () => {
    await round();
    const first = issues();
    const key = (r: Row) => `${r.kind}|${r.item_id}|${r.location}`;
    const cut = project.items.page(0, 100).find((i) => i.key === 'cut.jpg')!;
    const gone = project.items.page(0, 100).find((i) => i.key === 'gone.jpg')!;
    // What each bad file produced, in plain words with the raw text as detail.
    expect(first.find((r) => r.kind === 'decode_failed' && r.item_id === cut.id)?.message).toMatch(/cut\.jpg: the image is cut off/);
    expect(first.find((r) => r.kind === 'decode_failed' && r.item_id === cut.id)?.detail).toMatch(/jpeg|vips/i);
    expect(first.find((r) => r.item_id === gone.id)?.message).toMatch(/gone\.jpg: the file is missing or cannot be read/);
    expect(first.some((r) => r.location === 'notes.jpg')).toBe(true);
    expect(first.find((r) => r.kind === 'export_skipped')?.message).toMatch(/gone\.jpg/);
    expect(new Set(first.map(key)).size).toBe(first.length);

    await round();
    await round();
    expect(issues()).toEqual(first);
  });
});
