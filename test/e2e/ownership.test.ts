// The UI opened on a project another process owns: it says so, refuses to write, and takes the project over
// by itself once that process is done.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { shotPath } from '../fixtures/browser';
import { ROOT, winnowSync } from '../fixtures/cli';
import { makeImageFolder } from '../fixtures/images';
import { data, engine, home, page, server, useUiProject } from '../fixtures/ui-project';

let holder: ChildProcess;

// The project is made by the CLI and held by another process before the engine opens it.
useUiProject({
  failureShot: 'ownership-failure.png',
  data: async (dir) => { await makeImageFolder(dir, { count: 30, width: 48, height: 36 }); },
  prepare: async () => {
    const dir = path.join(home, 'owned');
    expect(winnowSync(['init', dir], { WINNOW_HOME: home }).code).toBe(0);
    expect(winnowSync(['import', data, '--project', dir], { WINNOW_HOME: home }).code).toBe(0);
    holder = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/hold-project.ts'), dir, 'winnow embed'], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, WINNOW_HOME: home } });
    await new Promise<void>((resolve) => holder.stdout!.on('data', (d) => String(d).includes('owned') && resolve()));
    await engine.openProject(dir, { access: 'owner-or-read-only' });
  },
});

// Registered after the session's hooks, so it runs first: the holder goes before the engine closes.
afterAll(() => {
  if (holder?.exitCode === null) holder.kill('SIGKILL');
});

describe('a project another process owns', () => {
  it('shows it read-only with the owner named, then takes it over when the owner is done', async () => {
    await page.goto(server.url);
    const badge = page.getByText(`read-only: open in pid ${holder.pid} `);
    await badge.waitFor();
    expect(await badge.textContent()).toContain('(winnow embed, since');
    await page.locator('[data-testid=tile] img').first().waitFor();
    await page.screenshot({ path: shotPath('ownership-01-read-only.png') });

    holder.kill('SIGTERM');
    await badge.waitFor({ state: 'detached', timeout: 30_000 });
    // The badge can go a moment before the takeover has reopened the project as its owner (a loaded CI machine saw it).
    await expect.poll(() => engine.requireProject().readOnly, { timeout: 30_000 }).toBe(false);
    await page.screenshot({ path: shotPath('ownership-02-owner.png') });
  });
});
