// The demo project `npm start` opens: generated on first start, its jobs queued in order and run to the
// end by the engine that opens it (import, embedding, statistics, pair scores, zero-shot labels).
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDemoProject } from '../../main/cli/demo';
import { Engine } from '../../main/engine/engine';
import { tempDir } from '../fixtures/images';

let engine: Engine | undefined;
afterAll(async () => {
  await engine?.close();
  delete process.env.WINNOW_DEMO_ITEMS;
});

describe('demo project', () => {
  it('is generated once, and opening it runs import → input pass → embed → stats → pair scores → labels', async () => {
    process.env.WINNOW_HOME = await tempDir();
    process.env.WINNOW_DEMO_ITEMS = '60';
    const dir = await ensureDemoProject();
    expect(dir).toBe(path.join(process.env.WINNOW_HOME, 'demo-project'));
    expect(await ensureDemoProject()).toBe(dir); // a second start reuses it

    engine = new Engine('cli');
    const project = await engine.openProject(dir);
    await project.jobs.idle();
    const jobs = project.jobs.list().sort((a, b) => a.id - b.id);
    expect(jobs.map((j) => j.kind)).toEqual(['import', 'inputs', 'embed', 'curate.stats', 'curate.pairscore', 'curate.label']);
    for (const j of jobs) expect(j.state, `${j.kind}: ${j.error ?? ''}`).toBe('done');
    const items = project.db.prepare('SELECT count(*) FROM items').pluck().get() as number;
    expect(items).toBeGreaterThan(50);
    const count = (sql: string) => project.db.prepare(sql).pluck().get() as number;
    expect(count(`SELECT count(DISTINCT item_id) FROM signals WHERE name = 'clip.pair'`)).toBeGreaterThan(40);
    expect(count(`SELECT count(DISTINCT item_id) FROM annotations WHERE kind = 'label'`)).toBeGreaterThan(40);
    expect(count(`SELECT count(DISTINCT item_id) FROM signals WHERE name = 'image.brightness'`)).toBeGreaterThan(40);
  }, 240_000);
});
