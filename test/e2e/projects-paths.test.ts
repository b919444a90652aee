// Issue 15 point 7 in browser mode, by mouse and keyboard: the welcome screen asks before using a relative path (showing
// the absolute one, taken from the browse root, never the server's working folder), the server-side folder browser picks the project folder and the source folder (within
// WINNOW_BROWSE_ROOTS, refusing to go outside it), the project switcher opens a recent project and closes back to welcome.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateScenes } from '../../main/synthetic';
import { shotPath } from '../fixtures/browser';
import { engine, page, server, useUiProject } from '../fixtures/ui-project';

/** The only folder the server may browse: a projects folder with an older project, and a dataset. */
let root: string;
let older: string;

// No project open: the UI starts at the welcome screen.
useUiProject({
  failureShot: '15-projects-failure.png',
  env: async ({ data }) => ({ WINNOW_BROWSE_ROOTS: data }),
  data: async (dir) => {
    root = dir;
    await mkdir(path.join(root, 'projects', 'new-one'), { recursive: true });
    await mkdir(path.join(root, 'datasets', 'photos'), { recursive: true });
    const scenes = await generateScenes(6, { seed: 'paths-e2e', width: 64, height: 64 });
    await Promise.all(scenes.map((s) => writeFile(path.join(root, 'datasets', 'photos', `p${s.index}.jpg`), s.jpeg)));
  },
  prepare: async () => {
    older = path.join(root, 'projects', 'older');
    await engine.createProject(older, 'Older project');
    await engine.closeProject();
  },
});

const fbEntry = (name: string) => page.getByTestId('folder-browser').getByTestId('fb-entry').filter({ hasText: new RegExp(`^.${name}`) });

describe('projects and paths (issue 15 point 7)', () => {
  it('a relative project path is shown as the absolute path it would be, and nothing happens until accepted', async () => {
    await page.goto(server.url);
    await page.locator('input[name=project-dir]').waitFor();
    await page.screenshot({ path: shotPath('15-projects-01-welcome.png') });
    await page.fill('input[name=project-dir]', 'datasets/cats');
    await page.getByRole('button', { name: 'Create project' }).click();
    await expect.poll(() => page.getByTestId('path-confirm-absolute').innerText()).toBe(path.join(root, 'datasets/cats'));
    await page.screenshot({ path: shotPath('15-projects-02-relative-confirm.png') });
    await page.getByTestId('path-confirm').getByRole('button', { name: 'Edit' }).click();
    expect(await page.getByTestId('path-confirm').count()).toBe(0);
    expect(engine.project).toBeNull();
  });

  it('picks the project folder with the folder browser (keyboard and mouse) and creates the project there', async () => {
    await page.fill('input[name=project-dir]', '');
    await page.getByTestId('browse-project-dir').click();
    await page.getByTestId('folder-browser').waitFor();
    await expect.poll(() => page.locator('input[name=fb-path]').inputValue()).toBe(root);
    // The browser starts at the allowed root and cannot go above it.
    expect(await page.getByTestId('fb-up').isDisabled()).toBe(true);
    await expect.poll(() => page.getByTestId('fb-entry').allInnerTexts()).toEqual(['▸datasets', '▸projects']);
    // Keyboard: the first entry has focus; ArrowDown to "projects", Enter opens it.
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('input[name=fb-path]').inputValue()).toBe(path.join(root, 'projects'));
    await expect.poll(() => page.getByTestId('fb-entry').allInnerTexts()).toEqual(['▸new-one', '◆older Winnow project']);
    await page.screenshot({ path: shotPath('15-projects-03-folder-browser.png') });
    // Going outside the root is refused with the reason.
    await page.fill('input[name=fb-path]', '/');
    await page.press('input[name=fb-path]', 'Enter');
    await expect.poll(() => page.getByTestId('fb-error').innerText()).toContain('outside the folders this server may browse');
    await page.screenshot({ path: shotPath('15-projects-04-browse-refused.png') });
    await page.fill('input[name=fb-path]', path.join(root, 'projects'));
    await page.press('input[name=fb-path]', 'Enter');
    await fbEntry('new-one').click();
    await page.getByTestId('fb-choose').click();
    await expect.poll(() => page.locator('input[name=project-dir]').inputValue()).toBe(path.join(root, 'projects', 'new-one'));
    await page.fill('input[name=project-name]', 'Picked project');
    await page.getByRole('button', { name: 'Create project' }).click();
    await expect.poll(() => page.locator('.project-name').innerText()).toBe('Picked project');
    expect(engine.project?.dir).toBe(path.join(root, 'projects', 'new-one'));
  });

  it('imports a source picked in the folder browser; a relative source path is confirmed first', async () => {
    await page.fill('input[name=source-path]', 'photos');
    await page.locator('input[name=source-path]').press('Enter');
    await expect.poll(() => page.getByTestId('path-confirm-absolute').innerText()).toBe(path.join(root, 'photos'));
    await page.getByTestId('path-confirm').getByRole('button', { name: 'Edit' }).click();
    await page.getByTestId('browse-source-path').click();
    await fbEntry('datasets').click();
    await fbEntry('photos').click();
    // Files are listed too (a source may be a manifest); the folder itself is chosen here.
    await expect.poll(() => page.getByTestId('fb-entry').count()).toBe(6);
    await page.getByTestId('fb-choose').click();
    await expect.poll(() => page.locator('input[name=source-path]').inputValue()).toBe(path.join(root, 'datasets', 'photos'));
    await page.getByRole('button', { name: 'Import' }).click();
    await expect.poll(() => page.getByRole('button', { name: /All items/ }).innerText(), { timeout: 30_000 }).toMatch(/6$/);
    await page.screenshot({ path: shotPath('15-projects-05-imported.png') });
    // Accepting the shown path uses exactly that path: the same source again (no new one, nothing in the working folder).
    await page.fill('input[name=source-path]', 'datasets/photos');
    await page.getByRole('button', { name: 'Import' }).click();
    await page.getByTestId('path-confirm-use').click();
    await expect.poll(() => page.locator('input[name=source-path]').inputValue()).toBe('');
    expect(engine.requireProject().sources.list().map((s) => s.path)).toEqual([path.join(root, 'datasets', 'photos')]);
  });

  it('switches to a recent project, then closes it back to the welcome screen', async () => {
    await page.getByTestId('project-switcher').click();
    await page.getByTestId('project-menu').waitFor();
    await expect.poll(() => page.getByTestId('switch-to').evaluateAll((els) => els.map((e) => e.getAttribute('data-dir')))).toEqual([older]);
    expect(await page.getByTestId('switch-to').innerText()).toMatch(/^older/);
    await page.screenshot({ path: shotPath('15-projects-06-switcher.png') });
    // Keyboard: the first item has focus.
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.project-name').innerText()).toBe('Older project');
    await page.getByTestId('project-switcher').click();
    await page.getByTestId('close-project').click();
    await page.locator('input[name=project-dir]').waitFor();
    expect(engine.project).toBeNull();
    await expect.poll(() => page.getByTestId('recent-project').allInnerTexts()).toEqual([older, path.join(root, 'projects', 'new-one')]);
    await page.screenshot({ path: shotPath('15-projects-07-welcome-again.png') });
    // From the welcome screen, a recent project opens again.
    await page.getByTestId('recent-project').filter({ hasText: 'new-one' }).click();
    await expect.poll(() => page.locator('.project-name').innerText()).toBe('Picked project');
  });
});
