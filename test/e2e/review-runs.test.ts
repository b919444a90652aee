// Issue 15 point 6 in Chromium, by mouse and keyboard: two labeling runs add up (both listed, the first kept); the review
// queue hides near-zero top-k proposals behind a score floor and opens per class; label classes and detection queries are
// listed apart in their runs' order with colours that match colour names; 30 fast keys all land, in order; a run of
// nudges is one undo step; Home/End and go-to-item.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/api/handlers';
import type { MethodResult } from '../../main/api/contract';
import { DETECT_JOB } from '../../main/engine/detect/detect-job';
import { generateScenes } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { engine, page, project, server, useUiProject, writeScenes } from '../fixtures/ui-project';

/** The built-in labels model's review floor, read from the registry file (what review.queue applies by default). */
const REVIEW_FLOOR = (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../models/registry.json'), 'utf8')) as { models: { id: string; calibration?: { reviewMinScore?: number } }[] })
  .models.find((m) => m.id === 'winnow-clip-mini')!.calibration!.reviewMinScore!;

const N = 40;

useUiProject({
  failureShot: '15-review-failure.png',
  data: async (dir) => writeScenes(dir, await generateScenes(N, { seed: 'review-runs-e2e', width: 96, height: 96, singleObject: true })),
  project: { dir: 'review-runs', title: 'Review runs e2e' },
  prepare: async () => {
    await project.jobs.wait(engine.embed());
    // Threshold 0: every query gets a box on every image, whatever the model's quality.
    await project.jobs.wait(project.jobs.start(DETECT_JOB, { queries: ['zebra', 'green star'], threshold: 0, negatives: false, selection: null, segment: false }).id);
  },
});

const position = () => page.getByTestId('review-position').innerText();
const sql = <T>(q: string, ...args: unknown[]) => project.db.prepare(q).all(...args) as T[];

async function runLabeling(classes: string[]): Promise<void> {
  await page.getByTestId('nav-labels').click();
  await page.fill('textarea[name=classes]', classes.join('\n'));
  await page.fill('input[name=k]', '3');
  await page.fill('input[name=threshold]', '0');
  const before = await page.locator('[data-testid=job][data-state=done]', { hasText: 'Zero-shot labels' }).count();
  await page.getByTestId('run-labels').click();
  await expect.poll(() => page.locator('[data-testid=job][data-state=done]', { hasText: 'Zero-shot labels' }).count(), { timeout: 60_000 }).toBe(before + 1);
}

describe('labels and review (issue 15 point 6)', () => {
  it('a second labeling run adds to the first: both runs listed, the first one\'s labels kept', async () => {
    await page.goto(server.url);
    await runLabeling(['red circle', 'blue square', 'green star']);
    await runLabeling(['yellow hexagon', 'purple triangle', 'red circle', 'orange diamond']);
    const runs = page.getByTestId('label-run');
    await expect.poll(() => runs.count()).toBe(2);
    await expect.poll(() => runs.nth(0).innerText()).toMatch(/Run 2[\s\S]*current[\s\S]*yellow hexagon, purple triangle, red circle, orange diamond/);
    await expect.poll(() => runs.nth(1).innerText()).toMatch(/Run 1[\s\S]*red circle, blue square, green star/);
    // Run 1's labels are still stored (3 per item), none of them current any more.
    expect(await runs.nth(1).getByTestId('run-current').innerText()).toBe('0');
    expect(await runs.nth(0).getByTestId('run-current').innerText()).toBe(String(N));
    const first = sql<{ id: number }>(`SELECT id FROM runs WHERE kind = 'curate.label' ORDER BY id`)[0].id;
    expect(sql<{ n: number }>('SELECT count(*) n FROM annotations WHERE run_id = ?', first)[0].n).toBe(N * 3);
    await runs.nth(1).getByRole('button').first().click();
    await expect.poll(() => runs.nth(1).getByTestId('run-counts').locator('tr').count()).toBe(3);
    await page.getByTestId('label-runs').scrollIntoViewIfNeeded();
    await page.screenshot({ path: shotPath('15-labels-01-runs.png') });
  });

  it('the queue hides near-zero proposals behind a floor, lists classes apart in run order, with honest colours, and opens per class', async () => {
    await page.getByTestId('nav-review').click();
    await page.getByTestId('review-view').waitFor();
    const current = sql<{ score: number | null; state: string }>(`SELECT score, state FROM annotations WHERE superseded_by IS NULL AND origin != 'source'`);
    const below = current.filter((a) => a.state === 'proposed' && a.score !== null && a.score < REVIEW_FLOOR).length;
    expect(below).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('review-progress').innerText()).toContain(`0 / ${current.length - below} reviewed`);
    await expect.poll(() => page.getByTestId('below-floor').innerText()).toBe(`${below} hidden`);
    // Label classes in run 2's order, detection queries in the detection run's order, each numbered from 1.
    await expect.poll(() => page.getByTestId('label-classes').locator('li').evaluateAll((els) => els.map((e) => e.textContent)))
      .toEqual(['1yellow hexagon', '2purple triangle', '3red circle', '4orange diamond']);
    expect(await page.getByTestId('query-classes').locator('li').evaluateAll((els) => els.map((e) => e.textContent))).toEqual(['1zebra', '2green star']);
    const swatch = (list: string, name: string) => page.getByTestId(list).locator(`li[data-class="${name}"] [data-testid=class-swatch]`).evaluate((e) => getComputedStyle(e).backgroundColor);
    expect(await swatch('label-classes', 'red circle')).toBe('rgb(239, 68, 68)');
    expect(await swatch('query-classes', 'green star')).toBe('rgb(34, 197, 94)');
    expect(await swatch('label-classes', 'yellow hexagon')).toBe('rgb(250, 204, 21)');
    // A class that names no colour gets a palette colour that is not one a colour-named class uses here.
    expect(await swatch('query-classes', 'zebra')).not.toMatch(/rgb\((239, 68, 68|34, 197, 94|250, 204, 21)\)/);
    await page.locator('[data-testid=review-stage] img').waitFor();
    // The item on screen lists no proposal under the floor either.
    const scores = await page.locator('[data-testid=review-anns] li[data-state=proposed] .score').allInnerTexts();
    expect(scores.length).toBeGreaterThan(0);
    for (const sc of scores) expect(Number(sc)).toBeGreaterThanOrEqual(REVIEW_FLOOR - 0.005);
    await page.screenshot({ path: shotPath('15-review-01-classes-floor.png') });

    // Floor 0: every proposal is back.
    await page.fill('input[name=review-floor]', '0');
    await page.press('input[name=review-floor]', 'Enter');
    await expect.poll(() => page.getByTestId('review-progress').innerText()).toContain(`0 / ${current.length} reviewed`);
    await page.fill('input[name=review-floor]', String(REVIEW_FLOOR));
    await page.press('input[name=review-floor]', 'Enter');
    await expect.poll(() => page.getByTestId('review-progress').innerText()).toContain(`0 / ${current.length - below} reviewed`);

    // Per-class view: only items with a "zebra" box, every annotation shown of that class.
    const zebraItems = sql<{ n: number }>(`SELECT count(DISTINCT item_id) n FROM annotations WHERE label = 'zebra' AND superseded_by IS NULL AND (state != 'proposed' OR score >= ?)`, REVIEW_FLOOR)[0].n;
    await page.getByTestId('query-classes').getByRole('button', { name: 'zebra' }).click();
    await expect.poll(() => position()).toBe(`item 1 of ${zebraItems}`);
    await page.getByTestId('class-filter').waitFor();
    await page.screenshot({ path: shotPath('15-review-02-per-class.png') });
    await page.getByTestId('class-filter').getByRole('button', { name: 'all classes' }).click();
    await expect.poll(() => position()).toBe(`item 1 of ${N}`);
  });

  it('30 keys fired fast all land, in order: accept, next, accept, next…', async () => {
    const dispatch = createDispatch(engine);
    const queue = ((await dispatch('review.queue', {})) as MethodResult<'review.queue'>).items.map((i) => i.itemId);
    await page.keyboard.press('Home');
    await expect.poll(() => position()).toBe(`item 1 of ${N}`);
    await page.locator('[data-testid=review-anns] li[data-testid^=ann-]').first().waitFor();
    // Fired back to back: no waiting for the engine between presses.
    await Promise.all(Array.from({ length: 15 }, () => ['a', 'j']).flat().map((k) => page.keyboard.press(k)));
    await expect.poll(() => position(), { timeout: 20_000 }).toBe(`item 16 of ${N}`);
    const accepted = (itemId: number) => sql<{ n: number }>(`SELECT count(*) n FROM annotations WHERE item_id = ? AND state = 'accepted'`, itemId)[0].n;
    await expect.poll(() => queue.slice(0, 15).map(accepted)).toEqual(Array(15).fill(1));
    expect(queue.slice(15).map(accepted)).toEqual(Array(N - 15).fill(0));
  });

  it('Home, End and go-to-item by position or id; a run of nudges is one undo step', async () => {
    // Floor 0: the near-zero boxes of the threshold-0 detection run are shown, so one can be nudged.
    await page.fill('input[name=review-floor]', '0');
    await page.press('input[name=review-floor]', 'Enter');
    await expect.poll(() => page.getByTestId('below-floor').count()).toBe(0);
    await page.locator('input[name=review-floor]').blur();
    await page.keyboard.press('End');
    await expect.poll(() => position()).toBe(`item ${N} of ${N}`);
    await page.keyboard.press('Home');
    await expect.poll(() => position()).toBe(`item 1 of ${N}`);
    const dispatch = createDispatch(engine);
    const queue = ((await dispatch('review.queue', {})) as MethodResult<'review.queue'>).items.map((i) => i.itemId);
    // The UI's queue is the snapshot it loaded; find where an id sits in it by jumping to it.
    const target = queue[queue.length - 3];
    const jumpField = page.locator('input[name=review-jump]');
    // Keys pressed straight on, with no wait between them: Enter clears and leaves the field at once, so a `j` right
    // after it moves on from the jump's item (the jump takes its turn first) instead of being typed into the field.
    for (const key of ['g', '7', 'Enter', 'j']) await page.keyboard.press(key);
    await expect.poll(() => position()).toBe(`item 8 of ${N}`);
    await expect.poll(() => jumpField.inputValue()).toBe('');
    await expect.poll(() => jumpField.evaluate((el) => el === document.activeElement)).toBe(false);
    // A second jump typed while the first one's item is still loading: its `g` and id land in the field, not on the view.
    for (const key of ['g', '3', 'Enter', 'g']) await page.keyboard.press(key);
    await page.keyboard.type(`#${target}`);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid=review-anns] li[data-testid^=ann-]').first().getAttribute('data-testid')).toMatch(/^ann-/);
    const shownItem = async () => Number((await page.locator('[data-testid=review-stage] img').getAttribute('src'))!.match(/(\d+)(?:\D*)$/)![1]);
    await expect.poll(shownItem).toBe(target);
    const jumpedTo = await position();
    await page.screenshot({ path: shotPath('15-review-03-jumped.png') });
    await page.keyboard.press('g');
    await page.keyboard.type('#999999');
    await page.keyboard.press('Enter');
    await expect.poll(() => jumpField.getAttribute('aria-invalid')).toBe('true');
    // A miss keeps the text and the focus, to be corrected; the view stays where it was.
    expect(await jumpField.inputValue()).toBe('#999999');
    expect(await jumpField.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await position()).toBe(jumpedTo);
    await page.screenshot({ path: shotPath('15-review-03-jump-miss.png') });
    await page.keyboard.press('Escape');
    await page.locator('input[name=review-jump]').blur();

    // Select the item's zebra box and nudge it 6 px right, fast.
    const box = sql<{ id: number; bbox: string; state: string }>(`SELECT id, bbox, state FROM annotations WHERE item_id = ? AND label = 'zebra' AND kind = 'box'`, target)[0];
    await page.getByTestId(`ann-${box.id}`).click();
    const [x, y, w, h] = JSON.parse(box.bbox) as number[];
    const right = Math.min(96 - w, x + 6);
    await Promise.all(Array.from({ length: 6 }, () => page.keyboard.press('Alt+ArrowRight')));
    await expect.poll(() => JSON.parse(sql<{ bbox: string }>('SELECT bbox FROM annotations WHERE id = ?', box.id)[0].bbox)).toEqual([right, y, w, h]);
    await page.screenshot({ path: shotPath('15-review-04-nudged.png') });
    await page.keyboard.press('Control+z');
    await expect.poll(() => JSON.parse(sql<{ bbox: string }>('SELECT bbox FROM annotations WHERE id = ?', box.id)[0].bbox)).toEqual([x, y, w, h]);
    // Polled: a box already at the image's edge does not move, so its bbox alone cannot show the undo arrived.
    await expect.poll(() => sql<{ state: string }>('SELECT state FROM annotations WHERE id = ?', box.id)[0].state).toBe(box.state);
  });
});
