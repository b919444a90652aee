import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shotPath } from '../fixtures/browser';
import { engine, page, server, useUiProject } from '../fixtures/ui-project';
import { BUILTIN_MODEL_DIR } from '../fixtures/vision/builtin-model';
import { folderFiles, startHubServer, type HubServer } from '../fixtures/vision/hub-server';

// The Models view against a loopback hub that serves the built-in model's files as the registry's
// MobileCLIP S0 repository: pull with live progress, install, validate, remove.
const MODEL = 'mobileclip-s0';
const REPO = 'Xenova/mobileclip_s0';
const FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/vision_model.onnx', 'onnx/text_model.onnx'];

let hub: HubServer;

useUiProject({
  failureShot: 'models-failure.png',
  env: async ({ data }) => {
    // Slow chunks on the vision graph so the progress bar is seen moving, not only finished.
    hub = await startHubServer(REPO, folderFiles(BUILTIN_MODEL_DIR, FILES), { chunkDelayMs: { 'onnx/vision_model.onnx': 8 } });
    return { WINNOW_MODELS_DIR: path.join(data, 'models'), HF_ENDPOINT: hub.endpoint };
  },
  project: { dir: 'project', title: 'Models e2e' },
});

afterAll(async () => {
  await hub?.close();
});

describe('Models view in browser mode', () => {
  it('lists models, pulls one with live progress, validates it and removes it', async () => {
    await page.goto(server.url);
    await page.getByTestId('nav-models').click();
    const builtin = page.locator('[data-testid=model-row][data-model=winnow-clip-mini]');
    await builtin.waitFor();
    expect(await builtin.innerText()).toMatch(/Built-in/i);
    const row = page.locator(`[data-testid=model-row][data-model=${MODEL}]`);
    expect(await row.innerText()).toMatch(/Available/i);
    await page.screenshot({ path: shotPath('models-01-list.png') });

    await row.getByRole('button', { name: 'Pull' }).click();
    const progress = page.locator('[data-testid=pull-progress]');
    await progress.locator('[role=progressbar]').waitFor();
    await expect.poll(async () => Number(await progress.locator('[role=progressbar]').getAttribute('aria-valuenow')), { timeout: 30_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: shotPath('models-02-pulling.png') });
    await page.locator('[data-testid=pull-progress][data-state=done]').waitFor({ timeout: 60_000 });
    const bar = progress.locator('[role=progressbar]');
    expect(await bar.getAttribute('aria-valuenow')).toBe(await bar.getAttribute('aria-valuemax'));
    await expect.poll(() => row.innerText()).toMatch(/Installed/i);
    expect(await row.innerText()).toMatch(/fp32\s+[\d.]+ MB/);

    await row.getByRole('button', { name: 'Validate' }).click();
    const report = page.locator('[data-testid=validation-report]');
    await report.waitFor({ timeout: 60_000 });
    expect(await report.innerText()).toMatch(/valid/i);
    expect(await report.innerText()).toMatch(/pixel_values/);
    expect(await report.innerText()).toMatch(/128-d embeddings/);
    await report.scrollIntoViewIfNeeded();
    await page.screenshot({ path: shotPath('models-03-validated.png') });

    await row.getByRole('button', { name: 'Remove' }).click();
    const confirm = page.getByRole('alertdialog', { name: `Remove ${MODEL}?` });
    await confirm.waitFor();
    await page.screenshot({ path: shotPath('models-04-confirm-remove.png') });
    await confirm.getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => row.innerText()).toMatch(/Available/i);
    expect(await builtin.getByRole('button', { name: 'Remove' }).count()).toBe(0);
  });

  it('opens the Models view from the welcome screen, before any project exists', async () => {
    await engine.closeProject();
    await page.goto(server.url);
    await page.getByTestId('welcome-models').click();
    await page.locator('[data-testid=model-row][data-model=winnow-clip-mini]').waitFor();
    await page.screenshot({ path: shotPath('models-05-without-project.png') });
    await page.getByRole('button', { name: '← Back' }).click();
    await page.getByRole('heading', { name: 'New project' }).waitFor();
  });
});
