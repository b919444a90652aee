// Issue 15 points 4, 8, 9 in browser mode, driven by mouse and keyboard: import → "Embed now" → status line
// and a collapsible jobs panel; error toasts that time out or are dismissed; a map lasso, a click that opens
// an item and a region saved as a view; search inside that view past the first 100 hits with a cutoff;
// saved views opened, renamed and deleted; a reload that keeps view, search, screen and scroll position;
// Detect disabled while the same detection runs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SavedViewStore } from '../../main/engine/store/saved-views';
import { writeDirtyDataset } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { data, page, project, server, useUiProject } from '../fixtures/ui-project';

// The import is the first test's job, by the UI.
useUiProject({
  failureShot: '15-views-failure.png',
  data: async (dir) => { await writeDirtyDataset(dir, { count: 150, seed: 'views-e2e' }); },
  project: { dir: 'views-e2e', title: 'Views e2e', importData: false },
});

const shot = (name: string) => page.screenshot({ path: shotPath(`15-${name}.png`) });
const gridCount = async () => Number((await page.getByTestId('grid').getAttribute('aria-label'))?.split(' ')[0]);
const embeddedImages = () => project.db.prepare('SELECT count(*) FROM embedding_rows WHERE image_row IS NOT NULL').pluck().get() as number;

describe('jobs, status, toasts and the path from import to embedding', () => {
  it('offers "Embed now" after an import, shows progress in the status line and a collapsible jobs panel', async () => {
    await page.goto(server.url);
    await page.getByText('No items yet').waitFor();
    await page.fill('input[name=source-path]', data);
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Import' }).waitFor({ timeout: 120_000 });
    const items = project.items.count();
    expect(items).toBeGreaterThan(120);
    const prompt = page.getByTestId('embed-prompt');
    await expect.poll(() => prompt.innerText()).toContain(`${items} of ${items} items have no image embedding yet`);
    await shot('jobs-01-embed-prompt-after-import');

    await page.getByTestId('embed-now').click();
    // The status line follows the job's progress events, then goes back to idle when it ends.
    await expect.poll(() => page.getByTestId('status-jobs').innerText(), { timeout: 30_000 }).toMatch(/^Embed/);
    await shot('jobs-02-embedding-status');
    await expect.poll(() => page.getByTestId('status-jobs').innerText(), { timeout: 120_000 }).toBe('idle');
    await prompt.waitFor({ state: 'detached' });
    expect(embeddedImages()).toBeGreaterThan(120);

    // The panel is a summary line plus compact rows; a click collapses it to the line, and that is remembered.
    const panel = page.getByTestId('jobs-panel');
    expect((await panel.boundingBox())!.height).toBeLessThan(860 / 5);
    await expect.poll(() => page.getByTestId('jobs-summary').innerText()).toContain('last: Embed');
    await page.getByTestId('jobs-summary').click();
    await page.locator('[data-testid=job]').first().waitFor({ state: 'detached' });
    expect((await panel.boundingBox())!.height).toBeLessThan(40);
    await shot('jobs-03-panel-collapsed');
    await page.reload();
    await page.getByTestId('jobs-summary').waitFor();
    expect(await page.getByTestId('jobs-summary').getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('[data-testid=job]').count()).toBe(0);
    await page.getByTestId('jobs-summary').click();
    await page.locator('[data-testid=job]').first().waitFor();
    await shot('jobs-04-panel-expanded');
  });

  it('shows an error as a toast that can be dismissed and that goes away by itself', async () => {
    const toast = page.getByTestId('toast');
    const importMissing = async () => {
      await page.fill('input[name=source-path]', path.join(data, 'no-such-folder'));
      await page.keyboard.press('Enter');
      await toast.waitFor();
    };
    await importMissing();
    await shot('jobs-05-error-toast');
    await toast.getByRole('button', { name: 'Dismiss' }).click();
    await toast.waitFor({ state: 'detached' });
    await importMissing();
    const shownAt = Date.now();
    await toast.waitFor({ state: 'detached', timeout: 20_000 });
    expect(Date.now() - shownAt).toBeGreaterThan(5_000);
  });
});

describe('the embedding map, saved views and search inside a view', () => {
  it('lassoes a region, opens a point by clicking it, and saves the region as a view', async () => {
    await page.getByTestId('nav-map').click();
    await expect.poll(() => page.getByTestId('map-view').innerText()).toMatch(/\d+ images · PCA/);
    const box = (await page.getByTestId('map-canvas').boundingBox())!;
    // Click on a point: find one from the rendered canvas (a lit pixel near the centre) and hover it first.
    const spot = await page.getByTestId('map-canvas').evaluate((c: HTMLCanvasElement) => {
      const ctx = c.getContext('2d')!;
      const dpr = window.devicePixelRatio || 1;
      const img = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let r = 0; r < Math.max(c.width, c.height); r += 2) {
        for (let a = 0; a < 64; a++) {
          const x = Math.round(c.width / 2 + r * Math.cos((a / 64) * 2 * Math.PI));
          const y = Math.round(c.height / 2 + r * Math.sin((a / 64) * 2 * Math.PI));
          if (x >= 0 && y >= 0 && x < c.width && y < c.height && img[(y * c.width + x) * 4 + 3] > 200) return { x: x / dpr, y: y / dpr };
        }
      }
      return null;
    });
    expect(spot).not.toBeNull();
    await page.mouse.move(box.x + spot!.x, box.y + spot!.y);
    await page.locator('.map-tip').waitFor();
    const tipId = Number(/#(\d+)/.exec(await page.locator('.map-tip').innerText())![1]);
    await page.mouse.down();
    await page.mouse.up();
    const panel = page.getByTestId('item-panel');
    await panel.waitFor();
    await expect.poll(() => panel.locator('header .muted').innerText()).toBe(project.items.get(tipId)!.key);
    await shot('map-01-click-opens-item');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'detached' });

    // Lasso: l, then a free-hand loop around the left half of the cloud.
    await page.keyboard.press('l');
    expect(await page.getByTestId('map-tool-lasso').getAttribute('aria-pressed')).toBe('true');
    const loop = [[0.05, 0.05], [0.5, 0.03], [0.55, 0.5], [0.45, 0.97], [0.05, 0.95], [0.02, 0.5]];
    await page.mouse.move(box.x + box.width * loop[0][0], box.y + box.height * loop[0][1]);
    await page.mouse.down();
    for (const [fx, fy] of [...loop.slice(1), loop[0]]) await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy, { steps: 6 });
    await page.getByTestId('map-lasso').waitFor();
    await shot('map-02-lasso-drawing');
    await page.mouse.up();
    await page.getByTestId('map-show-selection').waitFor();
    const selected = Number((await page.locator('.map-actions b').innerText()).replace(/,/g, ''));
    expect(selected).toBeGreaterThan(5);
    expect(selected).toBeLessThan(embeddedImages());
    await shot('map-03-lasso-selected');

    await page.getByTestId('map-save-view').click();
    await page.keyboard.type('left half');
    await page.keyboard.press('Enter');
    await expect.poll(() => new SavedViewStore(project.db).list().map((v) => v.name)).toEqual(['left half']);
    expect(new SavedViewStore(project.db).get('left half').state.region!.ids).toHaveLength(selected);
    await page.getByTestId('map-show-selection').click();
    await expect.poll(() => page.getByTestId('chip-region').innerText()).toContain(`${selected} items picked on the map`);
    await expect.poll(gridCount).toBe(selected);
    await page.getByTestId('saved-view').filter({ hasText: 'left half' }).waitFor();
    await shot('views-01-region-in-grid');
  });

  it('searches inside the region with a cutoff, saves it, and gets it back after a reload', async () => {
    const region = new SavedViewStore(project.db).get('left half').state.region!.ids;
    await page.fill('[data-testid=search-input]', 'a photo of a red circle');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('results-info').innerText()).toContain('a photo of a red circle');
    // Inside the view: never more hits than the region holds (all of them, when it is under 100).
    await expect.poll(gridCount).toBe(Math.min(100, region.length));
    const scores = async () => (await page.locator('[data-testid=tile-score]').allInnerTexts()).map(Number);
    // The grid may repaint its tiles once more as the page's marks arrive, and it renders only the tiles on
    // screen (the best hits, in order): read the scores once some are shown, two reads agreeing.
    await expect.poll(async () => {
      const [a, b] = [await scores(), await scores()];
      return a.length > 0 && a.join() === b.join();
    }).toBe(true);
    const all = await scores();
    const cutoff = Number(all[Math.floor(all.length / 2)].toFixed(3));
    await page.fill('[data-testid=search-cutoff]', String(cutoff));
    await page.press('[data-testid=search-cutoff]', 'Enter');
    await expect.poll(() => page.getByTestId('results-info').innerText()).toContain(`similarity ≥ ${cutoff}`);
    await expect.poll(gridCount).toBeLessThan(all.length);
    expect((await scores()).every((s) => s >= cutoff - 0.0005)).toBe(true);
    await shot('views-02-search-in-region-cutoff');

    await page.getByTestId('save-view').click();
    await page.keyboard.type('red in left half');
    await page.keyboard.press('Enter');
    await page.getByTestId('saved-view').filter({ hasText: 'red in left half' }).waitFor();
    expect(new SavedViewStore(project.db).get('red in left half').state).toMatchObject({ search: { text: 'a photo of a red circle', minScore: cutoff }, region: { ids: region } });

    // A reload comes back to the same view, search, cutoff and count.
    const count = await gridCount();
    await page.waitForFunction(() => location.hash.includes('view='));
    await page.reload();
    await expect.poll(() => page.getByTestId('results-info').innerText()).toContain(`similarity ≥ ${cutoff}`);
    await page.getByTestId('chip-region').waitFor();
    await expect.poll(gridCount).toBe(count);
    expect(await page.getByTestId('search-input').inputValue()).toBe('a photo of a red circle');
    await shot('views-03-after-reload');
  });

  it('pages past the first 100 hits, opens, renames and deletes saved views', async () => {
    await page.getByRole('button', { name: /^All items/ }).click();
    await page.getByTestId('view-chips').waitFor({ state: 'detached' });
    await page.fill('[data-testid=search-input]', 'a photo');
    await page.keyboard.press('Enter');
    await expect.poll(gridCount).toBe(100);
    await expect.poll(() => page.getByTestId('results-info').innerText()).toContain('100+');
    await page.getByTestId('results-more').click();
    await expect.poll(gridCount).toBe(embeddedImages());
    await page.getByTestId('results-more').waitFor({ state: 'detached' });
    await shot('views-04-second-page-of-hits');

    await page.getByTestId('saved-view').filter({ hasText: 'left half' }).first().locator('.view-open').click();
    await expect.poll(() => page.getByTestId('chip-region').isVisible()).toBe(true);
    await page.getByRole('button', { name: 'Rename left half' }).click();
    await page.keyboard.press('Control+a');
    await page.keyboard.type('west side');
    await page.keyboard.press('Enter');
    await page.getByTestId('saved-view').filter({ hasText: 'west side' }).waitFor();
    await page.getByRole('button', { name: 'Delete west side' }).click();
    await shot('views-05-delete-confirm');
    await page.getByRole('button', { name: 'Delete?' }).click();
    await page.getByTestId('saved-view').filter({ hasText: 'west side' }).waitFor({ state: 'detached' });
    expect(new SavedViewStore(project.db).list().map((v) => v.name)).toEqual(['red in left half']);
  });

  it('keeps the screen and the scroll position over a reload', async () => {
    await page.getByRole('button', { name: /^All items/ }).click();
    await page.getByTestId('view-chips').waitFor({ state: 'detached' });
    await page.locator('[data-testid=grid]').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForFunction(() => /top=\d+/.test(location.hash));
    const top = Number(/top=(\d+)/.exec(await page.evaluate(() => location.hash))![1]);
    expect(top).toBeGreaterThan(20);
    await page.reload();
    await page.locator(`[data-testid=tile][data-index="${top}"]`).waitFor();
    await expect.poll(() => page.locator('[data-testid=grid]').evaluate((el) => el.scrollTop)).toBeGreaterThan(100);
    await shot('views-06-scroll-kept-after-reload');
    await page.getByTestId('nav-map').click();
    await page.waitForFunction(() => location.hash.includes('page=map'));
    await page.reload();
    await page.getByTestId('map-canvas').waitFor();
  });
});

describe('Detect while the same detection runs', () => {
  it('disables Detect for the running queries, not for others', async () => {
    await page.getByTestId('nav-review').click();
    await page.fill('textarea[name=queries]', 'red circle');
    const detect = page.getByTestId('detect-submit');
    await detect.click();
    await expect.poll(() => detect.isDisabled()).toBe(true);
    await expect.poll(() => detect.innerText()).toMatch(/^Detecting/);
    await shot('jobs-06-detect-running');
    await page.fill('textarea[name=queries]', 'blue square');
    expect(await detect.isDisabled()).toBe(false);
    await page.fill('textarea[name=queries]', 'red circle');
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Detect red circle' }).waitFor({ timeout: 120_000 });
    await expect.poll(() => detect.isDisabled()).toBe(false);
    expect(await detect.innerText()).toBe('Detect');
  });
});
