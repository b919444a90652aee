// Real photographs with the built-in model: the grid says the model does not know such images, and one
// click leads to the Models view.
import { copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localClient } from '../../main/api/client';
import { shotPath } from '../fixtures/browser';
import { data, engine, home, page, server, useUiProject } from '../fixtures/ui-project';

const SKIMAGE_DATA = '/usr/lib/python3/dist-packages/skimage/data';

// The project is made and filled through the API, as a client would.
useUiProject({
  failureShot: 'fit-failure.png',
  data: async (dir) => {
    for (const f of readdirSync(SKIMAGE_DATA).filter((n) => /\.(png|jpe?g)$/i.test(n))) copyFileSync(path.join(SKIMAGE_DATA, f), path.join(dir, f));
  },
  prepare: async () => {
    const client = localClient(engine);
    await client.call('project.create', { dir: path.join(home, 'photos') });
    await engine.requireProject().jobs.wait((await client.call('sources.add', { path: data })).jobId);
    await engine.requireProject().jobs.wait((await client.call('embed.start', {})).jobId);
  },
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
