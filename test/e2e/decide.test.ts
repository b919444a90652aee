// Issue 15 points 1, 2, 3, 5 in the browser, driven by mouse and keyboard: why an item was removed (rule
// gallery, tile badges, item panel), picking items (click, Shift/Ctrl-click, Ctrl-A, drag) and deciding by
// hand in bulk, everything the item panel knows, and the duplicates view's similarity, sources, bulk
// decisions and a remembered "not a duplicate". Truth comes from the items' own pixels sizes and the
// engine's database rows, read independently of the UI.
import { describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/api/handlers';
import { STATS_JOB } from '../../main/engine/curate/stats-job';
import { writeDirtyDataset } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { engine, page, project, server, useUiProject } from '../fixtures/ui-project';

useUiProject({
  failureShot: '15-decide-failure.png',
  data: async (dir) => { await writeDirtyDataset(dir, { count: 80, seed: 'e2e-decide' }); },
  project: { dir: 'decide', title: 'Decide e2e' },
  prepare: async () => { expect((await project.jobs.wait(project.jobs.start(STATS_JOB, {}).id)).state).toBe('done'); },
  viewport: { width: 1440, height: 900 },
  timeout: 180_000,
});

const shot = (name: string) => page.screenshot({ path: shotPath(`15-${name}.png`) });
const tile = (i: number) => page.locator(`[data-testid=tile][data-index="${i}"]`);
const pickedCount = async () => ((await page.getByTestId('picked-count').count()) ? Number((await page.getByTestId('picked-count').innerText()).replace(/,/g, '')) : 0);
const manualRows = () => project.db.prepare('SELECT item_id id, decision, decided_by by, via FROM manual_decisions ORDER BY item_id').all() as { id: number; decision: string; by: string; via: string }[];
/** Item ids of grid tiles, from the engine's own page in the same order (the grid shows items in id order). */
const idsAt = (indices: number[]) => { const all = project.items.page(0, 1000); return indices.map((i) => all[i].id); };

describe('deciding in the browser (issue 15)', () => {
  it('1 · a rule card opens its gallery; removed tiles carry the rule, the value and the threshold', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-filters').click();
    const alone = page.getByTestId('alone-min_side');
    await expect.poll(async () => Number((await alone.innerText()).replace(/,/g, '')) || 0, { timeout: 30_000 }).toBeGreaterThan(0);
    const n = Number((await alone.innerText()).replace(/,/g, ''));
    await shot('reasons-01-rule-card');
    await page.getByTestId('gallery-min_side').click();
    await page.getByTestId('selection-banner').getByText('Shortest side').waitFor();
    await expect.poll(() => page.getByTestId('selection-banner').locator('b').innerText()).toBe(n.toLocaleString());
    await expect.poll(() => page.getByTestId('tile-reason').count()).toBeGreaterThan(0);
    // Every tile's reason: min_side = min(width, height) of the item, below the 200 px threshold.
    const tiles = await page.locator('[data-testid=tile]').count();
    for (let i = 0; i < Math.min(tiles, n); i++) {
      const t = tile(i);
      await t.getByTestId('tile-marks').waitFor();
      const tip = (await t.getByTestId('tile-marks').getAttribute('title'))!;
      const size = (await t.locator('.badges .badge', { hasText: '×' }).innerText()).split('×').map(Number);
      expect(tip).toContain(`image.min_side = ${Math.min(...size)}, keeps >= 200`);
      expect(Math.min(...size)).toBeLessThan(200);
    }
    await tile(0).hover();
    await shot('reasons-02-rule-gallery');
    // The item panel lists the same reason.
    await tile(0).dblclick();
    await page.getByTestId('item-reasons').waitFor();
    expect(await page.getByTestId('item-reasons').innerText()).toMatch(/Shortest side at least 200 px: image\.min_side = \d+, keeps >= 200/);
    await shot('reasons-03-item-panel');
    await page.keyboard.press('Escape');
    // "only this rule": a subset of the gallery.
    await page.getByTestId('nav-filters').click();
    await page.getByTestId('gallery-only-min_side').click();
    await page.getByTestId('selection-banner').getByText('no other rule').waitFor();
    await expect.poll(async () => Number((await page.getByTestId('selection-banner').locator('b').innerText()).replace(/,/g, ''))).toBeLessThanOrEqual(n);
    await page.getByTestId('selection-banner').getByRole('button', { name: 'Clear' }).click();
  }, 120_000);

  it('2 · picks with click, Shift/Ctrl-click, drag and Ctrl-A, then excludes, keeps and tags in bulk', async () => {
    await tile(0).waitFor();
    await tile(0).click();
    await tile(5).click({ modifiers: ['Shift'] });
    await expect.poll(pickedCount).toBe(6);
    await tile(2).click({ modifiers: ['Control'] });
    await expect.poll(pickedCount).toBe(5);
    expect(await tile(2).getAttribute('data-picked')).toBeNull();
    await shot('decide-01-shift-ctrl-click');

    // Drag a rectangle over two rows and two columns.
    const columns = await page.evaluate(() => { const ts = [...document.querySelectorAll('[data-testid=tile]')]; const y = ts[0].getBoundingClientRect().top; return ts.filter((t) => t.getBoundingClientRect().top === y).length; });
    const a = (await tile(columns).boundingBox())!;
    const b = (await tile(2 * columns + 1).boundingBox())!;
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(a.x + a.width / 2 + 20, a.y + a.height / 2 + 20, { steps: 3 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
    await page.getByTestId('rect-select').waitFor();
    await shot('decide-02-drag-rectangle');
    await page.mouse.up();
    await expect.poll(pickedCount).toBe(4);
    for (const i of [columns, columns + 1, 2 * columns, 2 * columns + 1]) expect(await tile(i).getAttribute('data-picked')).toBe('true');

    await page.getByTestId('grid').focus();
    await page.keyboard.press('Control+a');
    await expect.poll(pickedCount).toBe(project.items.count());
    await page.keyboard.press('Escape');
    await expect.poll(pickedCount).toBe(0);

    // Exclude items 0-3 by hand (Shift-click range), then keep item 4 with Ctrl-click.
    await tile(0).click();
    await tile(3).click({ modifiers: ['Shift'] });
    await page.getByTestId('bulk-exclude').click();
    await page.getByTestId('bulk-note').getByText('Excluded by hand: 4 of 4').waitFor();
    await expect.poll(() => tile(0).getByTestId('tile-manual').innerText()).toBe('excluded by hand');
    const excluded = idsAt([0, 1, 2, 3]);
    expect(manualRows().filter((r) => r.decision === 'exclude').map((r) => r.id)).toEqual(excluded);
    expect(manualRows()[0]).toMatchObject({ via: 'app' });
    expect(manualRows()[0].by).toMatch(/@/);

    // Tag the same four by typing a name and Enter.
    await page.getByTestId('tag-input').fill('needs review');
    await page.getByTestId('tag-input').press('Enter');
    await page.getByTestId('bulk-note').getByText('Tagged “needs review”: 4 of 4').waitFor();
    await expect.poll(() => tile(1).getByTestId('tile-tag').innerText()).toBe('#needs review');
    expect(project.db.prepare("SELECT item_id FROM item_tags WHERE tag = 'needs review' ORDER BY item_id").pluck().all()).toEqual(excluded);
    await shot('decide-03-bulk-excluded-tagged');

    // Filter the grid by the tag.
    await page.getByTestId('pick-clear').click();
    await page.getByTestId('tag-filter').selectOption('needs review');
    await expect.poll(() => page.locator('[data-testid=tile]').count()).toBe(4);
    await shot('decide-04-tag-filter');
    await page.getByTestId('tag-filter').selectOption('');
    await expect.poll(() => page.locator('[data-testid=tile]').count()).toBeGreaterThan(4);

    // The Filters counts and the kept grid follow the decisions by hand.
    const ev = await createDispatch(engine)('selection.evaluate', { rules: [] }) as { kept: number; total: number };
    expect(ev.kept).toBe(ev.total - 4);
  }, 120_000);

  it('3 · the item panel shows signals, duplicates, provenance and tags, and decides by hand', async () => {
    // An item in a perceptual duplicate group, found in the database.
    const row = project.db.prepare(`SELECT m.item_id id, g.keeper_id keeper FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = 'phash' AND m.item_id != g.keeper_id ORDER BY m.item_id LIMIT 1`).get() as { id: number; keeper: number };
    const index = project.items.page(0, 1000).findIndex((i) => i.id === row.id);
    // A labeling run's proposals and a pair score for it, stored as those jobs store them.
    const pairRun = project.runs.create('pairscore', { model: 'winnow-clip-mini' });
    project.db.prepare('INSERT INTO signals (item_id, name, value, run_id) VALUES (?, ?, ?, ?)').run(row.id, 'clip.pair', 0.3125, pairRun);
    project.annotations.insert(row.id, { kind: 'label', label: 'cross', score: 0.875, origin: 'winnow-clip-mini', state: 'proposed', createdBy: 'job:1', params: { assigned: 1, run: 'zero-shot' } });
    project.annotations.insert(row.id, { kind: 'label', label: 'circle', score: 0.0625, origin: 'winnow-clip-mini', state: 'proposed', createdBy: 'job:1', params: { assigned: 0, run: 'zero-shot' } });
    await page.getByTestId('grid').focus();
    await page.keyboard.press('Home');
    for (let i = 0; i < index; i++) await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    const panel = page.getByTestId('item-knowledge');
    await panel.waitFor();
    const signals = project.db.prepare('SELECT count(*) FROM signals WHERE item_id = ?').pluck().get(row.id) as number;
    await expect.poll(() => page.getByTestId('item-signals').locator('tr').count()).toBe(signals);
    expect(await page.getByTestId('item-labels').innerText()).toMatch(/cross\s+0\.875\s+proposed\s+winnow-clip-mini · zero-shot[\s\S]*circle\s+0\.063/);
    expect(await page.getByTestId('item-pair').innerText()).toContain('0.3125');
    const group = page.getByTestId('item-dup-group').filter({ hasText: 'Perceptual' });
    await expect.poll(() => group.innerText()).toContain(`keeper #${row.keeper}`);
    expect(await group.innerText()).toMatch(/Δ \d+ bits/);
    expect(await page.getByTestId('item-provenance').innerText()).toMatch(/Import\s+job #\d+/);
    await page.getByTestId('item-tag-input').fill('hero shot');
    await page.getByTestId('item-tag-input').press('Enter');
    await expect.poll(() => page.getByTestId('item-tags').innerText()).toContain('#hero shot');
    await page.getByTestId('item-keep').click();
    await expect.poll(() => page.getByTestId('item-status').innerText()).toBe('Kept by hand');
    expect(await page.getByTestId('item-manual').innerText()).toMatch(/Kept by hand by .+@.+ \(app\)/);
    await page.getByTestId('item-panel').screenshot({ path: shotPath('15-panel-01-decision-tags.png') });
    await page.getByTestId('item-provenance').scrollIntoViewIfNeeded();
    await page.getByTestId('item-panel').screenshot({ path: shotPath('15-panel-02-duplicates-signals-provenance.png') });
    expect(manualRows().find((r) => r.id === row.id)?.decision).toBe('keep');
    await page.keyboard.press('Escape');
  }, 120_000);

  it('5 · duplicates: similarity and sources, compact layout, bulk decisions, a remembered "not a duplicate"', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-duplicates').click();
    const groups = page.getByTestId('dup-group');
    await groups.first().waitFor();
    const total = project.db.prepare(`SELECT count(*) FROM dup_groups WHERE kind = 'phash'`).pluck().get() as number;
    await expect.poll(() => page.locator('.dups-head h2 .muted').innerText()).toBe(`${total} groups`);
    expect(await groups.first().getByTestId('dup-similarity').innerText()).toMatch(/^\d+% alike$/);
    expect(await groups.first().getByTestId('dup-member-source').first().innerText()).toBe(project.sources.list()[0].name);
    const compactShown = await groups.count();
    await shot('dups-01-compact');
    await page.getByTestId('dup-compact').uncheck();
    const big = (await groups.first().boundingBox())!.height;
    await page.getByTestId('dup-compact').check();
    expect((await groups.first().boundingBox())!.height).toBeLessThan(big);
    expect(compactShown).toBeGreaterThan(0);

    // Check the first two groups with the keyboard; keep keepers, exclude the copies.
    await groups.first().getByTestId('dup-member').first().click();
    await page.keyboard.press('x');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('x');
    await expect.poll(() => page.getByTestId('dup-checked-count').innerText()).toBe('2');
    const checked = await page.evaluate(() => [...document.querySelectorAll('[data-testid=dup-group].checked [data-testid=dup-member]')].map((m) => ({ id: Number(m.getAttribute('data-item')), keeper: m.getAttribute('data-keeper') === 'true' })));
    await page.getByTestId('dup-bulk-discard').click();
    await page.getByTestId('dup-note').getByText('2 groups').waitFor();
    const decided = new Map(manualRows().map((r) => [r.id, r.decision]));
    for (const m of checked) expect(decided.get(m.id), `item ${m.id}`).toBe(m.keeper ? 'keep' : 'exclude');
    await expect.poll(() => page.getByTestId('dup-manual').count()).toBeGreaterThanOrEqual(checked.length);
    await shot('dups-02-bulk-decided');

    // "n" on a copy of the first group: it leaves the group, and a forced dedup run keeps it out.
    await page.keyboard.press('Escape');
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowRight');
    const copy = Number(await page.locator('.dup-member.focused').getAttribute('data-item'));
    await page.keyboard.press('n');
    await page.getByTestId('dup-note').getByText('Marked 1 not a duplicate').waitFor();
    await expect.poll(() => page.locator(`[data-testid=dup-member][data-item="${copy}"]`).count()).toBe(0);
    await shot('dups-03-not-a-duplicate');
    const stats = await project.jobs.wait(project.jobs.start(STATS_JOB, { force: true }).id);
    expect(stats.state).toBe('done');
    const keptApart = project.db.prepare(`SELECT a, b FROM dup_not_pairs WHERE kind = 'phash' AND (a = ? OR b = ?)`).all(copy, copy) as { a: number; b: number }[];
    expect(keptApart.length).toBeGreaterThan(0);
    for (const { a, b } of keptApart) {
      const together = project.db.prepare(`SELECT count(*) FROM dup_members x JOIN dup_members y ON x.group_id = y.group_id JOIN dup_groups g ON g.id = x.group_id WHERE g.kind = 'phash' AND x.item_id = ? AND y.item_id = ?`).pluck().get(a, b);
      expect(together).toBe(0);
    }
    await expect.poll(() => page.locator(`[data-testid=dup-member][data-item="${copy}"]`).count()).toBe(0);
  }, 180_000);
});
