import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shotPath } from '../fixtures/browser';
import { scenes, writeCoco } from '../fixtures/formats';
import { home, page, server, useUiProject } from '../fixtures/ui-project';

useUiProject({
  failureShot: 'export-dialog-failure.png',
  data: async (dir) => (await writeCoco(dir, await scenes(8, 'e2e-export'))).instances,
  project: { dir: 'proj', title: 'Export demo' },
});

describe('Export dialog', () => {
  it('picks a format and options, previews counts, and starts an export job shown in the Jobs panel', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-export').click();
    const dialog = page.getByTestId('export-dialog');
    await dialog.waitFor();
    await page.getByTestId('format-coco').click();
    await page.getByTestId('export-preview').getByText('items to write').waitFor();
    const dest = path.join(home, 'coco-out');
    await page.getByTestId('export-dest').fill(dest);
    await page.screenshot({ path: shotPath('export-dialog.png') });
    expect(await page.getByTestId('export-preview').locator('.xstat .n').first().textContent()).toBe('8');
    await page.getByTestId('export-start').click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Export coco' }).waitFor({ timeout: 60_000 });
    await page.screenshot({ path: shotPath('export-done.png') });
    expect(existsSync(path.join(dest, 'annotations', 'instances.json'))).toBe(true);
    expect(existsSync(path.join(dest, 'README.md'))).toBe(true);
  });
});
