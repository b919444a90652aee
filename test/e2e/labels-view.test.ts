// The Labels panel in browser mode: classes in, labeling job (with embedding first) in the Jobs panel,
// counts per label as bars, a click filters the grid; pair and concept scores start from the same panel.
import { describe, expect, it } from 'vitest';
import { generateScenes } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { engine, page, server, useUiProject, writeScenes } from '../fixtures/ui-project';

useUiProject({
  failureShot: 'labels-failure.png',
  data: async (dir) => writeScenes(dir, await generateScenes(24, { seed: 'labels-e2e', width: 128, height: 128, singleObject: true }), true),
  project: { dir: 'labels-e2e', title: 'Labels e2e' },
});

describe('Labels panel', () => {
  it('runs zero-shot labeling as a job, shows counts per label and filters the grid by a label', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-labels').click();
    await page.getByTestId('labels-view').waitFor();
    await expect.poll(() => page.locator('textarea[name=templates]').inputValue()).toContain('a photo of a {}');
    const classes = ['red circle', 'blue square: blue box', 'green star', 'yellow hexagon', 'purple triangle', 'orange diamond', 'pink heart', 'cyan cross'];
    await page.fill('textarea[name=classes]', classes.join('\n'));
    // Threshold 0: every item gets its top class whatever the model's confidence (any export of the model).
    await page.fill('input[name=threshold]', '0');
    await page.screenshot({ path: shotPath('labels-01-form.png') });
    await page.getByTestId('run-labels').click();
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Zero-shot labels' }).waitFor({ timeout: 120_000 });
    await page.locator('[data-testid=label-count]').first().waitFor();
    const rows = await page.locator('[data-testid=label-count] .n').allInnerTexts();
    const uncertain = Number(await page.locator('[data-testid=label-uncertain] .n').innerText());
    expect(rows.reduce((s, n) => s + Number(n), 0) + uncertain).toBe(24);
    await page.screenshot({ path: shotPath('labels-02-counts.png') });

    expect(rows).toHaveLength(8);
    const first = page.locator('[data-testid=label-count]').first();
    const name = await first.locator('.name').innerText();
    const n = Number(await first.locator('.n').innerText());
    await first.click();
    await page.getByTestId('label-banner').waitFor();
    await expect.poll(() => page.locator('[data-testid=grid]').getAttribute('aria-label')).toBe(`${n} items`);
    await expect.poll(() => page.getByTestId('label-banner').innerText()).toContain(name);
    await page.locator('[data-testid=tile] img').first().waitFor();
    await page.screenshot({ path: shotPath('labels-03-filtered-grid.png') });
    await page.getByTestId('label-banner').getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => page.locator('[data-testid=grid]').getAttribute('aria-label')).toBe('24 items');
  });

  it('starts pair scores and concept scores as jobs', async () => {
    await page.getByTestId('nav-labels').click();
    await page.getByTestId('run-pairscore').click();
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Image-caption scores' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('run-concepts').click();
    await page.locator('[data-testid=job][data-state=done]', { hasText: 'Concept scores' }).waitFor({ timeout: 60_000 });
    await page.locator('.signal-names code', { hasText: 'concept.a_watermark' }).waitFor();
    expect(engine.requireProject().db.prepare(`SELECT count(*) FROM signals WHERE name = 'clip.pair'`).pluck().get()).toBe(24);
    await page.screenshot({ path: shotPath('labels-04-scores.png') });
  });
});
