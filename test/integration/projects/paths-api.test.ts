// Projects and paths through the contract (what the CLI, server and app all dispatch): relative paths refused with a
// clear message, typed paths resolved from home (never the working folder) and said out loud, the folder browser
// listing only readable folders within WINNOW_BROWSE_ROOTS, and closing a project back to the welcome screen.
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import type { MethodResult } from '../../../main/api/contract';
import { Engine } from '../../../main/engine/engine';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let dispatch: Dispatch;
let root: string;

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  root = await tempDir();
  await mkdir(path.join(root, 'photos', 'holiday'), { recursive: true });
  await mkdir(path.join(root, 'b-sets'));
  await mkdir(path.join(root, '.hidden'));
  await mkdir(path.join(root, 'locked'));
  await writeFile(path.join(root, 'manifest.jsonl'), '{}\n');
  await symlink(path.join(root, 'photos'), path.join(root, 'link-to-photos'));
  await chmod(path.join(root, 'locked'), 0o000);
  engine = new Engine('browser');
  dispatch = createDispatch(engine);
});
afterEach(() => {
  delete process.env.WINNOW_BROWSE_ROOTS;
});
afterAll(async () => {
  await chmod(path.join(root, 'locked'), 0o755);
  await engine.close();
});

type Listing = MethodResult<'fs.list'>;

describe('paths through the API', () => {
  it('refuses relative paths for projects and sources, naming the problem', async () => {
    for (const [method, input] of [['project.create', { dir: 'my-project' }], ['project.open', { dir: './p' }], ['sources.add', { path: 'data/images' }]] as const) {
      await expect(dispatch(method, input)).rejects.toThrow(/must be an absolute path/);
    }
    // Nothing was created in the working folder.
    await expect(import('node:fs/promises').then((fs) => fs.stat(path.resolve('my-project')))).rejects.toThrow();
  });

  it('resolves a typed path from the home folder, never the working folder, and says so', async () => {
    const home = os.homedir();
    const r = (await dispatch('fs.resolve', { path: 'datasets/cats' })) as MethodResult<'fs.resolve'>;
    expect(r).toMatchObject({ absolute: path.join(home, 'datasets/cats'), wasRelative: true, base: home });
    expect(r.absolute.startsWith(process.cwd() + path.sep) && process.cwd() !== home).toBe(false);
    expect(await dispatch('fs.resolve', { path: '~/x' })).toMatchObject({ absolute: path.join(home, 'x'), wasRelative: true });
    expect(await dispatch('fs.resolve', { path: root })).toMatchObject({ absolute: root, wasRelative: false, exists: true, kind: 'dir', base: null });
    // With browse roots, a relative path starts at the first root.
    process.env.WINNOW_BROWSE_ROOTS = root;
    expect(await dispatch('fs.resolve', { path: 'photos' })).toMatchObject({ absolute: path.join(root, 'photos'), wasRelative: true, exists: true, kind: 'dir', base: root });
  });

  it('lists readable folders (hidden and unreadable ones left out, links followed), files on request', async () => {
    const l = (await dispatch('fs.list', { dir: root })) as Listing;
    const names = l.entries.map((e) => e.name);
    expect(names).toEqual(process.getuid?.() === 0 ? ['b-sets', 'link-to-photos', 'locked', 'photos'] : ['b-sets', 'link-to-photos', 'photos']);
    expect(l.parent).toBe(path.dirname(root));
    const withFiles = (await dispatch('fs.list', { dir: root, files: true })) as Listing;
    expect(withFiles.entries.at(-1)).toMatchObject({ name: 'manifest.jsonl', kind: 'file' });
    await expect(dispatch('fs.list', { dir: 'relative' })).rejects.toThrow(/absolute/);
    await expect(dispatch('fs.list', { dir: path.join(root, 'nope') })).rejects.toThrow(/no folder/);
  });

  it('never lists outside WINNOW_BROWSE_ROOTS, links included, and has no parent above the root', async () => {
    process.env.WINNOW_BROWSE_ROOTS = path.join(root, 'photos');
    const l = (await dispatch('fs.list', {})) as Listing;
    expect(l.dir).toBe(path.join(root, 'photos'));
    expect(l.parent).toBeNull();
    expect(l.entries.map((e) => e.name)).toEqual(['holiday']);
    await expect(dispatch('fs.list', { dir: root })).rejects.toThrow(/outside the folders this server may browse/);
    await expect(dispatch('fs.list', { dir: path.join(root, 'photos', '..') })).rejects.toThrow(/outside/);
    // A link inside the root that leads out of it is refused too.
    await symlink(root, path.join(root, 'photos', 'escape'));
    await expect(dispatch('fs.list', { dir: path.join(root, 'photos', 'escape') })).rejects.toThrow(/outside/);
  });

  it('closes the project: app.info has none, recent projects list it, and it opens again', async () => {
    const dir = path.join(root, 'proj');
    await dispatch('project.create', { dir, name: 'P' });
    const marked = (await dispatch('fs.list', { dir: root })) as Listing;
    expect(marked.entries.find((e) => e.name === 'proj')?.project).toBe(true);
    expect(await dispatch('project.close', {})).toEqual({ closed: true });
    const info = (await dispatch('app.info', {})) as MethodResult<'app.info'>;
    expect(info.project).toBeNull();
    expect(info.recentProjects[0]).toBe(dir);
    expect(((await dispatch('project.open', { dir })) as MethodResult<'project.open'>).name).toBe('P');
  });
});
