import path from 'node:path';
import { _electron as electron } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { electronBinary } from '../../main/cli/electron-binary';
import { ROOT } from '../fixtures/cli';
import { makeImageFolder, tempDir } from '../fixtures/images';
import { shotPath } from '../fixtures/browser';
import { Engine } from '../../main/engine/engine';

const binary = electronBinary();
if (!binary.path) console.log(`[electron e2e] skipped: ${binary.reason}; the same UI is tested in browser mode`);

describe.skipIf(!binary.path)('desktop app (Electron)', () => {
  it('opens a project in a sandboxed window with the engine in a utility process', async () => {
    const home = await tempDir();
    process.env.WINNOW_HOME = home;
    const data = await tempDir();
    await makeImageFolder(data, { count: 30 });
    const engine = new Engine('cli');
    await engine.createProject(path.join(home, 'p'));
    await engine.addSource(data);
    await engine.requireProject().jobs.idle();
    await engine.close();
    const { buildApp } = await import('../../scripts/build-app');
    await buildApp();
    const app = await electron.launch({ executablePath: binary.path!, args: [path.join(ROOT, 'dist/main/app/main.cjs'), '--project', path.join(home, 'p')], env: { ...process.env, WINNOW_HOME: home } });
    const win = await app.firstWindow();
    await win.locator('[data-testid=tile] img').first().waitFor({ timeout: 60_000 });
    // Sandboxed and isolated: no Node in the page, only the typed bridge.
    const page = await win.evaluate(() => ({
      require: typeof (globalThis as { require?: unknown }).require,
      process: typeof (globalThis as { process?: unknown }).process,
      bridge: Object.keys((globalThis as { winnow?: object }).winnow ?? {}).sort(),
    }));
    expect(page).toEqual({ require: 'undefined', process: 'undefined', bridge: ['call', 'on'] });
    await win.screenshot({ path: shotPath('electron-grid.png') });
    await app.close();
  });
});
