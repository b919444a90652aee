// Locating items' files in a pass (main/engine/media/resolve.ts itemFileResolver): a pass resolves each folder once and
// checks the files in it with one lstat. These tests hold that fast path to a full realpath of every file (an independent
// check written here), on a folder of links inside, outside, dangling and to folders, and prove that a file swapped for a
// link to outside the source after import is refused: by a resolver that has that folder cached already, and by the
// first embed job reading inputs the import-time pass left (whose entry would otherwise look fresh).
import { linkSync, mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine';
import { itemFileResolver, type ItemLocation } from '../../../main/engine/media/resolve';
import { UNDECODABLE } from '../../../main/engine/media/undecodable';
import type { Project } from '../../../main/engine/project';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { inputCachePath } from '../../../main/engine/vision/input-cache';
import { INPUTS_JOB } from '../../../main/engine/vision/input-pass';
import { tempDir } from '../../fixtures/images';

const png = (colour: string) => sharp({ create: { width: 96, height: 80, channels: 3, background: colour } }).png().toBuffer();

/**
 * The check the fast path must equal: the file's whole path resolved by realpath(3) each time, compared with the root. (Node's
 * JS realpath would not do: it removes `..` before following links, so `link-to-outside/../a.png` would name a file here.)
 */
function expected(root: string, uri: string): string {
  let real: string;
  try {
    real = realpathSync.native(uri);
  } catch {
    return 'missing';
  }
  const rel = path.relative(realpathSync(root), real);
  return rel.startsWith('..') || path.isAbsolute(rel) ? 'outside' : real;
}

async function outcome(resolve: ReturnType<typeof itemFileResolver>, location: ItemLocation): Promise<string> {
  try {
    return (await resolve(location)).file;
  } catch (error) {
    const message = (error as Error).message;
    return /outside its source/.test(message) ? 'outside' : /is missing/.test(message) ? 'missing' : message;
  }
}

describe('a pass locating items’ files', () => {
  let engine: Engine;
  let project: Project;
  let data: string;
  let outside: string;
  let sourceId: number;

  beforeAll(async () => {
    process.env.WINNOW_HOME = await tempDir();
    process.env.WINNOW_INPUT_PASS = '1';
    data = await tempDir();
    outside = await tempDir();
    mkdirSync(path.join(data, 'sub', 'deep'), { recursive: true });
    const colours = ['red', 'green', 'blue', 'white', 'yellow'];
    for (const [i, name] of ['a.png', 'sub/b.png', 'sub/deep/c.png', 'd.png', 'e.png'].entries()) writeFileSync(path.join(data, name), await png(colours[i]));
    writeFileSync(path.join(outside, 'secret.png'), await png('black'));
    engine = new Engine('cli');
    project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    await project.jobs.idle(); // the import-time input pass too
    sourceId = (project.db.prepare('SELECT id FROM sources').pluck().get() as number);
    // Links made after the import: the resolver is asked about them by hand below.
    symlinkSync(path.join(data, 'a.png'), path.join(data, 'alias.png'));
    symlinkSync(path.join(outside, 'secret.png'), path.join(data, 'escape.png'));
    symlinkSync(path.join(data, 'nope.png'), path.join(data, 'dangling.png'));
    symlinkSync(outside, path.join(data, 'out-dir'));
    // A link outside pointing back in: a file reached through `out-dir` may resolve inside, its folder never does.
    symlinkSync(path.join(data, 'a.png'), path.join(outside, 'back.png'));
    symlinkSync(path.join(data, 'sub'), path.join(data, 'in-dir'));
    symlinkSync('../escape.png', path.join(data, 'sub', 'relative-escape.png'));
  });

  afterAll(async () => {
    delete process.env.WINNOW_INPUT_PASS;
    await engine.close();
  });

  const uris = () => [
    'a.png', 'sub/b.png', 'sub/deep/c.png', 'alias.png', 'escape.png', 'dangling.png', 'missing.png', 'out-dir/back.png', 'out-dir/secret.png',
    'in-dir/b.png', 'in-dir/deep/c.png', 'sub/relative-escape.png', 'sub/../a.png', 'sub/deep/../../d.png', 'out-dir/../a.png', 'sub', 'a.png/x.png',
  ].map((name) => `${data}/${name}`); // not path.join: it would drop the `..` steps before any link is followed

  it('gives what a full realpath of each file gives, with its folders resolved once or each time', async () => {
    const locations = uris().map((uri, i): ItemLocation => ({ id: 1000 + i, uri, sourceId, provenance: null }));
    const truth = locations.map((l) => expected(data, l.uri));
    // The fixture covers each case the fast path must tell apart.
    expect(truth.filter((t) => t === 'outside')).toHaveLength(3);
    expect(truth.filter((t) => t === 'missing')).toHaveLength(4);
    // One resolver for the whole pass, each location asked twice in two orders (the second time from cached folders)…
    const pass = itemFileResolver(project);
    for (const order of [locations, [...locations].reverse(), locations]) {
      for (const location of order) expect([location.uri, await outcome(pass, location)]).toEqual([location.uri, truth[locations.indexOf(location)]]);
    }
    // …and a fresh resolver per location, which resolves every path in full.
    for (const [i, location] of locations.entries()) expect(await outcome(itemFileResolver(project), location)).toBe(truth[i]);
  });

  it('refuses a file swapped for a link to outside the source after its folder was resolved', async () => {
    const pass = itemFileResolver(project);
    const at = (name: string): ItemLocation => ({ id: 1, uri: path.join(data, name), sourceId, provenance: null });
    expect(await outcome(pass, at('d.png'))).toBe(realpathSync(path.join(data, 'd.png')));
    expect(await outcome(pass, at('sub/b.png'))).toBe(realpathSync(path.join(data, 'sub', 'b.png')));
    // Swapped while the pass runs: the folders are known, the files are links now.
    const kept = path.join(outside, 'kept-d.png');
    renameSync(path.join(data, 'd.png'), kept);
    symlinkSync(path.join(outside, 'secret.png'), path.join(data, 'd.png'));
    rmSync(path.join(data, 'sub', 'b.png'));
    symlinkSync(path.join(data, 'sub', 'deep', 'c.png'), path.join(data, 'sub', 'b.png'));
    try {
      expect(await outcome(pass, at('d.png'))).toBe('outside');
      // A link that stays inside still resolves, to its target.
      expect(await outcome(pass, at('sub/b.png'))).toBe(realpathSync(path.join(data, 'sub', 'deep', 'c.png')));
      // A hard link is the file itself (as with a full realpath): what is checked is where the path leads.
      rmSync(path.join(data, 'sub', 'b.png'));
      linkSync(path.join(data, 'sub', 'deep', 'c.png'), path.join(data, 'sub', 'b.png'));
      expect(await outcome(pass, at('sub/b.png'))).toBe(path.join(realpathSync(path.join(data, 'sub')), 'b.png'));
    } finally {
      rmSync(path.join(data, 'd.png'));
      renameSync(kept, path.join(data, 'd.png'));
      rmSync(path.join(data, 'sub', 'b.png'));
      writeFileSync(path.join(data, 'sub', 'b.png'), await png('green'));
    }
  });

  it('makes the first embed job refuse an imported file swapped for a link to outside, though its input entry looks fresh', async () => {
    expect(project.jobs.list().some((job) => job.kind === INPUTS_JOB && job.state === 'done')).toBe(true);
    const items = project.db.prepare('SELECT id, uri FROM items ORDER BY id').all() as { id: number; uri: string }[];
    const { model } = await engine.active.get();
    const swapped = items.find((item) => path.basename(item.uri) === 'e.png')!;
    const entry = inputCachePath(project.thumbsDir, model.preprocess, swapped.id);
    // The link's target is older than the entry: a freshness check that followed the link would serve the entry.
    const old = new Date(Date.now() - 86_400_000);
    utimesSync(path.join(outside, 'secret.png'), old, old);
    rmSync(swapped.uri);
    symlinkSync(path.join(outside, 'secret.png'), swapped.uri);
    expect(realpathSync(entry)).toBeTruthy();
    expect(await project.jobs.wait(engine.embed())).toMatchObject({ state: 'done', done: items.length });
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    const embedded = items.filter((item) => project.embeddings.rowsOf(set, item.id));
    expect(embedded.map((item) => path.basename(item.uri)).sort()).toEqual(['a.png', 'b.png', 'c.png', 'd.png']);
    const issues = project.db.prepare('SELECT item_id, message, detail FROM issues WHERE kind = ?').all(UNDECODABLE) as { item_id: number; message: string; detail: string | null }[];
    expect(issues.map((issue) => issue.item_id)).toEqual([swapped.id]);
    expect(`${issues[0].message} ${issues[0].detail}`).toMatch(/outside its source/);
  });
});
