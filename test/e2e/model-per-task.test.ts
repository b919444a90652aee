// Model per task in the UI: the Models view chooses the project's model per task and overrides a model's
// calibration (with reset); a job form picks another model for one run; the status bar, the label counts
// and a filter histogram name the model. Two installed models: the built-in one and a calibrated copy.
import { describe, expect, it } from 'vitest';
import { writeDirtyDataset } from '../../main/synthetic/index';
import { shotPath } from '../fixtures/browser';
import { ALT_MODEL, installTwoModels } from '../fixtures/two-models';
import { engine, page, server, useUiProject } from '../fixtures/ui-project';

const MINI = 'winnow-clip-mini';
const shot = (n: string, state: string) => page.screenshot({ path: shotPath(`14-model-task-${n}-${state}.png`) });
const latestRun = (kind: string) => engine.requireProject().runs.list().filter((r) => r.kind === kind).at(-1);

useUiProject({
  failureShot: '14-model-task-failure.png',
  env: ({ home }) => installTwoModels(home),
  data: async (dir) => { await writeDirtyDataset(dir, { count: 24, seed: 'model-task-e2e', format: 'jpg' }); },
  project: { dir: 'project', title: 'Model per task' },
  timeout: 120_000,
});

describe('model per task (browser mode)', () => {
  it('chooses a model per task and overrides its calibration in the Models view', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-models').click();
    const labelsRow = page.getByTestId('task-labels');
    await labelsRow.waitFor();
    await expect.poll(() => page.getByTestId('task-models-status').innerText()).toBe(`models: ${MINI}`);
    await shot('01', 'defaults');

    await page.getByLabel('Project model for Labels').selectOption(ALT_MODEL);
    await expect.poll(() => labelsRow.innerText()).toMatch(/project choice/);
    await expect.poll(() => page.getByTestId('task-models-status').innerText()).toContain(`labels ${ALT_MODEL}`);
    expect(engine.requireProject().modelSettings.choice('labels')).toBe(ALT_MODEL);

    // The calibration panel follows the labels model: the copy's own values, each a model default.
    const threshold = page.getByTestId('calibration-labelThreshold');
    await expect.poll(() => page.getByLabel('Calibration model').inputValue()).toBe(ALT_MODEL);
    await expect.poll(() => threshold.innerText()).toMatch(/0\.45[\s\S]*model default/i);
    await page.getByLabel('Project override of labelThreshold').fill('0.25');
    await page.getByLabel('Project override of labelThreshold').press('Enter');
    await expect.poll(() => threshold.getAttribute('data-from')).toBe('project');
    await shot('02', 'override');
    await page.getByRole('button', { name: 'Reset labelThreshold' }).click();
    await expect.poll(() => threshold.getAttribute('data-from')).toBe('model');
    await page.getByLabel('Project override of labelThreshold').fill('0.25');
    await page.getByLabel('Project override of labelThreshold').press('Enter');
    await expect.poll(() => threshold.getAttribute('data-from')).toBe('project');
  }, 60_000);

  it('a job form runs with the project model by default and with another one when chosen', async () => {
    await page.getByTestId('nav-labels').click();
    const labelSelect = page.getByTestId('model-select-labels');
    await expect.poll(() => labelSelect.locator('option:checked').innerText()).toBe(`${ALT_MODEL} (project)`);
    // The form's templates and threshold are the labels model's (the alt entry's templates, this project's override).
    await expect.poll(() => page.locator('textarea[name=templates]').inputValue()).toContain('a rendering of a {}');
    await expect.poll(() => page.locator('input[name=threshold]').inputValue()).toBe('0.25');
    await labelSelect.selectOption(MINI);
    await expect.poll(() => page.locator('textarea[name=templates]').inputValue()).toContain('a photo of a {}');
    await labelSelect.selectOption('');
    await expect.poll(() => page.locator('textarea[name=templates]').inputValue()).toContain('a rendering of a {}');

    await page.fill('textarea[name=classes]', 'red circle\nblue square\ngreen triangle');
    await page.getByTestId('run-labels').click();
    await expect.poll(() => page.getByTestId('label-counts-model').innerText(), { timeout: 60_000 }).toContain(`model ${ALT_MODEL}`);
    expect(latestRun('curate.label')).toMatchObject({ model: ALT_MODEL, params: { threshold: 0.25, calibration: { labelThreshold: 'project', labelTemplates: 'model' } } });
    await shot('03', 'labels-form');

    // Pair scores with a model other than the project's, picked in the form.
    // Pair scores: the project's model is the built-in one (default); this run picks the copy in the form.
    const pairSelect = page.getByTestId('model-select-pairscore');
    await expect.poll(() => pairSelect.locator('option:checked').innerText()).toBe(`${MINI} (project)`);
    await pairSelect.selectOption(ALT_MODEL);
    await page.getByTestId('run-pairscore').click();
    await expect.poll(() => latestRun('curate.pairscore')?.finishedAt ?? null, { timeout: 60_000 }).not.toBeNull();
    expect(latestRun('curate.pairscore')).toMatchObject({ model: ALT_MODEL, params: { threshold: 0.55 } });
  }, 120_000);

  it('a filter histogram names the model its scores come from and starts at its calibrated threshold', async () => {
    await page.getByTestId('nav-filters').click();
    const add = page.getByLabel('signal for a new rule');
    await add.waitFor();
    await expect.poll(() => add.locator('option').allInnerTexts()).toContainEqual(expect.stringContaining(`clip.pair:${ALT_MODEL} (${ALT_MODEL})`));
    await add.selectOption(`clip.pair:${ALT_MODEL}`);
    await page.getByRole('button', { name: 'Add rule' }).click();
    const card = page.locator('[data-testid^=rule-signal-]').last();
    await expect.poll(() => card.innerText()).toContain(`scores from model ${ALT_MODEL}`);
    // The alt entry's calibrated pair threshold (0.55), not the middle of the histogram.
    await expect.poll(() => card.locator('input.threshold-input').inputValue()).toMatch(/^0\.550*$/);
    await card.scrollIntoViewIfNeeded();
    await shot('04', 'filters-histogram');
  }, 60_000);
});
