import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shotPath } from '../fixtures/browser';
import { type FolderTruth, makeImageFolder } from '../fixtures/images';
import { data, home, page, server, useUiProject } from '../fixtures/ui-project';

let truth: FolderTruth;

// No project yet: the test creates it and imports the folder through the UI.
useUiProject({
  failureShot: 'failure.png',
  data: async (dir) => { truth = await makeImageFolder(dir, { count: 1200, dirty: true, width: 96, height: 72 }); },
});

describe('browser mode end to end', () => {
  it('creates a project, imports a folder, scrolls the grid, opens an item and finds the corrupt file in the issues list', async () => {
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'New project' }).waitFor();
    expect(new URL(page.url()).searchParams.get('token')).toBeNull();
    await page.screenshot({ path: shotPath('01-welcome.png') });

    await page.fill('input[name=project-dir]', path.join(home, 'e2e-project'));
    await page.fill('input[name=project-name]', 'E2E project');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText('No items yet').waitFor();

    await page.fill('input[name=source-path]', data);
    await page.getByRole('button', { name: 'Import' }).click();
    await page.locator('[data-testid=job][data-state=done]').waitFor({ timeout: 120_000 });
    const expected = truth.good.length;
    await page.locator('.project-name + div', { hasText: `${expected.toLocaleString('en-US')} items` }).waitFor();
    await page.locator('[data-testid=tile] img').first().waitFor();
    await page.waitForFunction(() => [...document.querySelectorAll<HTMLImageElement>('[data-testid=tile] img')].slice(0, 6).every((i) => i.complete && i.naturalWidth > 0));
    await page.screenshot({ path: shotPath('02-grid.png') });

    // Only visible rows are in the DOM, even with over a thousand items.
    const tilesInDom = await page.locator('[data-testid=tile]').count();
    expect(tilesInDom).toBeGreaterThan(0);
    expect(tilesInDom).toBeLessThan(200);

    // Scroll to the end: the last item renders with its caption.
    await page.locator('[data-testid=grid]').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    const last = page.locator(`[data-testid=tile][data-index="${expected - 1}"]`);
    await last.waitFor();
    await expect.poll(async () => (await last.locator('.caption').innerText()).length).toBeGreaterThan(0);
    await page.screenshot({ path: shotPath('03-grid-scrolled.png') });

    // Keyboard: Home goes to the first item, End to the last, ← moves, Enter opens the panel with the caption.
    await page.locator('[data-testid=grid]').focus();
    await page.keyboard.press('Home');
    await page.locator('[data-testid=tile][data-index="0"].selected').waitFor();
    await page.keyboard.press('End');
    await page.keyboard.press('ArrowLeft');
    await page.locator(`[data-testid=tile][data-index="${expected - 2}"].selected`).waitFor();
    await page.keyboard.press('Enter');
    const panel = page.locator('[data-testid=item-panel]');
    await panel.locator('[data-testid=item-caption]').waitFor();
    const key = await panel.locator('header .muted').innerText();
    expect(truth.captions.has(key)).toBe(true);
    await expect.poll(() => panel.locator('[data-testid=item-caption]').innerText()).toBe(truth.captions.get(key));
    await panel.locator('.viewer img').evaluate((img: HTMLImageElement) => img.decode());
    await page.screenshot({ path: shotPath('04-item.png') });
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => panel.locator('header .muted').innerText()).not.toBe(key);
    await page.keyboard.press('Escape');
    await expect(panel.count()).resolves.toBe(0);

    await page.getByTestId('nav-issues').click();
    const corrupt = page.locator('[data-testid=issue-row]', { hasText: truth.broken.corrupt });
    await corrupt.waitFor();
    expect(await corrupt.innerText()).toMatch(/not a readable image/);
    await expect.poll(() => page.locator('[data-testid=issue-row]').count()).toBeGreaterThanOrEqual(4);
    await page.screenshot({ path: shotPath('05-issues.png') });
  });
});
