// The Issues view as a curator uses it: plain-words reasons, the decoder's raw text behind "details", and a row
// about an item opens that item (mouse click, or Tab + Enter from the keyboard).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATS_JOB } from '../../main/engine/curate/stats-job';
import { generateScenes } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { page, project, server, useUiProject } from '../fixtures/ui-project';

useUiProject({
  failureShot: '15-issues-failure.png',
  data: async (dir) => {
    const scenes = await generateScenes(4, { seed: 'issues-e2e', width: 96, height: 96 });
    await Promise.all(scenes.map((s) => writeFile(path.join(dir, `good_${s.index}.jpg`), s.jpeg)));
    await writeFile(path.join(dir, 'cut.jpg'), scenes[0].jpeg.subarray(0, Math.floor(scenes[0].jpeg.length * 0.55)));
    await writeFile(path.join(dir, 'notes.jpg'), Buffer.from('plain text with an image extension'));
  },
  project: { dir: 'issues-e2e', title: 'Issues e2e' },
  prepare: async () => { await project.jobs.wait(project.jobs.start(STATS_JOB, {}).id); },
});

describe('Issues view', () => {
  it('shows plain reasons with raw details on demand, and opens the item a row is about', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-issues').click();
    const rows = page.getByTestId('issue-row');
    await expect.poll(() => rows.count()).toBe(2);
    const cut = rows.filter({ hasText: 'cut.jpg' });
    await expect.poll(() => cut.innerText()).toContain('the image is cut off');
    // The raw decoder text is not on screen until asked for.
    await expect.poll(() => page.getByTestId('issue-detail').count()).toBe(0);
    await page.screenshot({ path: shotPath('15-issues-01-plain.png') });
    await cut.getByTestId('issue-details-toggle').click();
    await expect.poll(() => page.getByTestId('issue-detail').innerText()).toMatch(/jpeg|vips/i);
    await page.screenshot({ path: shotPath('15-issues-02-details.png') });
    await cut.getByTestId('issue-details-toggle').click();
    await expect.poll(() => page.getByTestId('issue-detail').count()).toBe(0);

    // Mouse: a click on the row opens its item.
    await cut.locator('td').nth(3).click({ position: { x: 4, y: 4 } });
    await page.getByTestId('item-panel').waitFor();
    await expect.poll(() => page.getByTestId('item-panel').locator('header').innerText()).toContain('cut.jpg');
    await expect.poll(() => page.getByTestId('item-panel').innerText()).toContain('the image is cut off');
    await page.screenshot({ path: shotPath('15-issues-03-item-open.png') });
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('item-panel').count()).toBe(0);

    // Keyboard: focus the row and press Enter.
    await cut.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByTestId('item-panel').locator('header').innerText()).toContain('cut.jpg');
    // A row with no item (a file never imported) opens nothing.
    await page.keyboard.press('Escape');
    await rows.filter({ hasText: 'notes.jpg' }).click();
    await page.waitForTimeout(200);
    expect(await page.getByTestId('item-panel').count()).toBe(0);
  });
});
