// Real photographs with the built-in model: the grid says the model does not know such images, and one
// click leads to the Models view.
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClient } from '../../main/api/client';
import { Engine } from '../../main/engine/engine';
import type { RunningServer } from '../../main/server/server';
import { closeUi, openUi, shotPath } from '../fixtures/browser';
import { tempDir } from '../fixtures/images';

const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';
let engine: Engine;
let server: RunningServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  const photos = await tempDir();
  for (const f of readdirSync(SKIMAGE_DATA).filter((n) => /\.(png|jpe?g)$/i.test(n))) copyFileSync(path.join(SKIMAGE_DATA, f), path.join(photos, f));
  engine = new Engine('browser');
  const client = localClient(engine);
  await client.call('project.create', { dir: path.join(home, 'photos') });
  await engine.requireProject().jobs.wait((await client.call('sources.add', { path: photos })).jobId);
  await engine.requireProject().jobs.wait((await client.call('embed.start', {})).jobId);
  ({ server, browser, page } = await openUi(engine));
});

afterAll(async () => {
  await closeUi({ browser, server }, engine);
});

describe('model fit warning', () => {
  it('warns that the built-in model does not know real photographs and opens the Models view', async () => {
    await page.goto(server.url);
    const banner = page.getByTestId('fit-banner');
    await banner.waitFor();
    expect(await banner.textContent()).toMatch(/knows only Winnow's synthetic world.*median confidence \d+%/);
    await page.locator('[data-testid=tile] img').first().waitFor();
    await page.screenshot({ path: shotPath('fit-01-warning.png') });
    await banner.getByRole('button', { name: 'Choose a model' }).click();
    await page.getByText('CLIP ViT-B/32').first().waitFor();
    await page.screenshot({ path: shotPath('fit-02-models.png') });
  });
});
