// An export reads its selection a page at a time (record-page.ts, PAGE ids) from a snapshot read in chunks
// (resolveSelection). With a selection spanning several chunks and pages, decisions by hand on both sides of page
// edges, an item deleted after the save and undecodable items, every kept item must be exported once, in id order,
// with its own caption and labels: checked against the raw tables and the per-item reads, never the paged ones.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/api/handlers';
import { Engine } from '../../main/engine/engine';
import type { Project } from '../../main/engine/project';
import { PAGE } from '../../main/engine/export/record-page';
import { tempDir } from '../fixtures/images';

const ITEMS = 12_000;
let engine: Engine;
let project: Project;
let call: ReturnType<typeof createDispatch>;

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  engine = new Engine('cli');
  call = createDispatch(engine);
  project = await engine.createProject(path.join(await tempDir(), 'p'));
  const db = project.db;
  const src = Number(db.prepare('INSERT INTO sources (kind, path, root, name) VALUES (?, ?, ?, ?)').run('folder', '/nowhere', '/nowhere', 'pages').lastInsertRowid);
  const item = db.prepare(`INSERT INTO items (source_id, key, uri, format, width, height) VALUES (?, ?, ?, 'jpeg', 8, 8)`);
  const caption = db.prepare(`INSERT INTO captions (item_id, origin, text, is_primary) VALUES (?, 'source', ?, 1)`);
  const signal = db.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?)');
  const label = db.prepare(`INSERT INTO annotations (item_id, kind, label, origin, state, created_by) VALUES (?, 'label', ?, 'source', ?, 'test')`);
  db.transaction(() => {
    for (let i = 0; i < ITEMS; i++) {
      const id = Number(item.run(src, `k${i}`, `/nowhere/k${i}.jpg`).lastInsertRowid);
      caption.run(id, `caption of item ${id}`);
      // Two of three items kept by the rule: a selection of ~8,000 spans two resolveSelection chunks and many pages.
      signal.run(id, 'test.score', i % 3 === 0 ? 0 : 1);
      if (id % 7 === 0) label.run(id, `label-${id}`, 'source');
      if (id % 11 === 0) label.run(id, `gone-${id}`, 'rejected');
    }
  })();
});

afterAll(async () => {
  await engine?.close();
});

describe('export of a selection spanning several pages', () => {
  it('writes every kept item once, in id order, with its own fields', async () => {
    await call('selection.save', { name: 'big', rules: [{ id: 's', kind: 'signal', signal: 'test.score', op: '>=', threshold: 0.5 }] });
    const db = project.db;
    const snapshot = db.prepare(`SELECT item_id FROM selection_items WHERE selection_id = (SELECT id FROM selections WHERE name = 'big')`).pluck().all() as number[];
    expect(snapshot.length).toBeGreaterThan(4096 + PAGE);
    const removed = db.prepare(`SELECT id FROM items WHERE id NOT IN (SELECT item_id FROM selection_items) ORDER BY id`).pluck().all() as number[];
    // Decisions by hand after the save, on and around page edges: kept by hand (not in the snapshot), excluded by hand (in it).
    const decide = db.prepare(`INSERT INTO manual_decisions (item_id, decision, decided_by, via) VALUES (?, ?, 'test', 'test')`);
    const keptByHand = [removed[0], removed[Math.floor(removed.length / 2)], removed[removed.length - 1]];
    const excludedByHand = [snapshot[PAGE - 1], snapshot[PAGE], snapshot[4095], snapshot[4096]];
    for (const id of keptByHand) decide.run(id, 'keep');
    for (const id of excludedByHand) decide.run(id, 'exclude');
    // Deleted after the save (its snapshot row goes with it) and undecodable items at page edges: neither is written.
    db.prepare('DELETE FROM items WHERE id = ?').run(snapshot[2 * PAGE]);
    const undecodable = [snapshot[3 * PAGE - 1], snapshot[3 * PAGE]];
    for (const id of undecodable) db.prepare(`INSERT INTO issues (severity, kind, message, item_id) VALUES ('warning', 'decode_failed', 'x', ?)`).run(id);

    // Truth from the raw tables, computed here without SQL set logic.
    const expected = [...new Set([...snapshot, ...keptByHand])]
      .filter((id) => !excludedByHand.includes(id) && id !== snapshot[2 * PAGE] && !undecodable.includes(id))
      .sort((a, b) => a - b);

    const dest = path.join(await tempDir(), 'out');
    const { jobId } = (await call('export.start', { format: 'manifest', dest, selection: 'big', options: { format: 'jsonl', copyImages: false } })) as { jobId: number };
    expect((await project.jobs.wait(jobId)).state).toBe('done');
    const rows = readFileSync(path.join(dest, 'manifest.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { key: string; caption: string; labels?: { label: string }[] });
    const keyOf = db.prepare('SELECT key FROM items WHERE id = ?').pluck();
    expect(rows.map((r) => r.key)).toEqual(expected.map((id) => keyOf.get(id)));
    // Each row carries its own item's caption and labels (per-item reads), so a page's rows cannot be shifted onto another's.
    const captionOf = db.prepare('SELECT text FROM captions WHERE item_id = ? AND is_primary = 1').pluck();
    rows.forEach((r, i) => {
      const id = expected[i];
      expect(r.caption).toBe(captionOf.get(id));
      const labels = project.annotations.current(id).filter((a) => a.state !== 'rejected').map((a) => a.label);
      expect((r.labels ?? []).map((l) => l.label)).toEqual(labels);
    });
    expect(rows.some((r) => r.labels?.length)).toBe(true);
    // The Export dialog's preview reads the same pages: its annotation counts over exactly the exported items.
    const preview = (await call('export.preview', { format: 'manifest', selection: 'big', options: { format: 'jsonl', copyImages: false } })) as { annotations: { kept: number; rejected: number } };
    const byState = (state: string) => expected.reduce((n, id) => n + project.annotations.forItem(id).filter((a) => a.state === state).length, 0);
    expect(preview.annotations).toMatchObject({ kept: byState('source'), rejected: byState('rejected') });
    expect(byState('rejected')).toBeGreaterThan(0);
    expect(rows.some((r) => r.key === keyOf.get(keptByHand[2]))).toBe(true);
  });
});
