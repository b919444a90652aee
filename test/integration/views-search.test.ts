// Saved views and search inside a view, through the contract dispatch on a real project embedded with the
// built-in model. Ground truth for search: cosine scores computed here straight from the matrix file.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../main/api/handlers';
import type { SavedViewT } from '../../main/api/contract';
import { Engine } from '../../main/engine/engine';
import type { Project } from '../../main/engine/project';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { makeImageFolder, tempDir } from '../fixtures/images';
import { winnowRun } from '../fixtures/cli';
import { publishOwnerApi } from '../fixtures/owner-api';

type Hits = { hits: { itemId: number; score: number }[]; more: boolean };
let engine: Engine;
let project: Project;
let call: Dispatch;
let home: string;
let data: string;
/** Image vector of every embedded item, read from the matrix file. */
const vectors = new Map<number, Float32Array>();

beforeAll(async () => {
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  data = await tempDir();
  await makeImageFolder(data, { count: 90, width: 64, height: 48 });
  engine = new Engine('cli');
  project = await engine.createProject(path.join(home, 'p'));
  call = createDispatch(engine);
  await project.jobs.wait((await engine.addSource(data)).jobId);
  expect((await project.jobs.wait(engine.embed())).state).toBe('done');
  const set = project.embeddings.getSet(DEFAULT_MODEL)!;
  const bytes = readFileSync(project.embeddings.matrixPath(set, 'image'));
  const matrix = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  for (const r of project.db.prepare('SELECT item_id, image_row FROM embedding_rows WHERE set_id = ?').all(set.id) as { item_id: number; image_row: number }[]) {
    vectors.set(r.item_id, matrix.slice(r.image_row * set.dim, (r.image_row + 1) * set.dim));
  }
}, 240_000);

afterAll(async () => {
  await engine?.close();
});

/** Every item of `pool` by cosine to item `of` (itself left out), best first. */
function bruteForce(of: number, pool: Iterable<number>): { itemId: number; score: number }[] {
  const q = vectors.get(of)!;
  const dot = (v: Float32Array) => v.reduce((s, x, i) => s + x * q[i], 0);
  return [...pool].filter((id) => id !== of && vectors.has(id)).map((id) => ({ itemId: id, score: dot(vectors.get(id)!) })).sort((a, b) => b.score - a.score);
}

const ids = () => [...vectors.keys()].sort((a, b) => a - b);

describe('search inside a view', () => {
  it('pages past the first page in the exact order, and says when there is more', async () => {
    const of = ids()[10];
    const truth = bruteForce(of, ids());
    const first = (await call('search.similar', { itemId: of, k: 30 })) as Hits;
    const second = (await call('search.similar', { itemId: of, k: 30, offset: 30 })) as Hits;
    const last = (await call('search.similar', { itemId: of, k: 30, offset: 60 })) as Hits;
    expect(first.more).toBe(true);
    expect(second.more).toBe(true);
    expect(last.more).toBe(false);
    const all = [...first.hits, ...second.hits, ...last.hits];
    expect(all).toHaveLength(truth.length);
    expect(new Set(all.map((h) => h.itemId)).size).toBe(truth.length);
    all.forEach((h, i) => expect(h.score).toBeCloseTo(truth[i].score, 4));
  });

  it('a similarity cutoff returns exactly the items at or above it', async () => {
    const of = ids()[3];
    const truth = bruteForce(of, ids());
    const cutoff = truth[12].score - 1e-4;
    const res = (await call('search.similar', { itemId: of, k: 100, minScore: cutoff })) as Hits;
    expect(res.hits.length).toBe(truth.filter((t) => t.score >= cutoff).length);
    expect(res.hits.every((h) => h.score >= cutoff)).toBe(true);
    expect(res.more).toBe(false);
  });

  it('runs inside a map region and a rule list, never outside them', async () => {
    const all = ids();
    const region = all.filter((_, i) => i % 3 === 0);
    const of = all[1];
    const res = (await call('search.similar', { itemId: of, k: 10, within: { region } })) as Hits;
    const truth = bruteForce(of, region).slice(0, 10);
    expect(res.hits.map((h) => h.score)).toEqual(truth.map((t) => expect.closeTo(t.score, 4)));
    expect(res.hits.every((h) => region.includes(h.itemId))).toBe(true);
    // Region + "removed" by a rule that removes nothing: an empty view has no hits.
    const none = (await call('search.similar', { itemId: of, k: 10, within: { region, selection: { rules: [{ id: 'w', kind: 'caption_words', op: '>', threshold: 0 }], show: 'removed' } } })) as Hits;
    expect(none.hits).toEqual([]);
    // The grid's count agrees with the region.
    expect(await call('items.count', { region })).toBe(region.length);
  });

  it('never returns an undecodable item', async () => {
    const of = ids()[0];
    const victim = bruteForce(of, ids())[0].itemId;
    const before = (await call('search.similar', { itemId: of, k: 1000 })) as Hits;
    expect(before.hits.map((h) => h.itemId)).toContain(victim);
    // The file turns out corrupt when the grid asks for its thumbnail: the media server records it.
    writeFileSync(project.items.get(victim)!.uri, 'not an image any more');
    await expect(engine.getMedia('thumb', victim)).rejects.toThrow(/cannot decode/);
    const after = (await call('search.similar', { itemId: of, k: 1000 })) as Hits;
    expect(after.hits.map((h) => h.itemId)).not.toContain(victim);
    expect(after.hits).toHaveLength(before.hits.length - 1);
  });
});

describe('saved views', () => {
  it('saves, lists, renames, replaces and deletes views; names are unique', async () => {
    const events: string[] = [];
    const off = engine.events.on('views.changed', (e) => events.push(e.name));
    const region = ids().slice(0, 5);
    const saved = (await call('views.save', { name: 'red things', state: { search: { text: 'a red image', minScore: 0.2 }, region: { ids: region } } })) as SavedViewT;
    expect(saved.summary).toBe('search “a red image” · similarity ≥ 0.2 · 5 map points');
    await call('views.save', { name: 'labelled', state: { label: 'cat' } });
    expect(((await call('views.list', {})) as SavedViewT[]).map((v) => v.name)).toEqual(['labelled', 'red things']);
    await expect(call('views.rename', { name: 'labelled', to: 'red things' })).rejects.toThrow(/already exists/);
    await call('views.rename', { name: 'labelled', to: 'cats' });
    await call('views.save', { name: 'cats', state: { label: 'dog' } });
    expect(((await call('views.get', { name: 'cats' })) as SavedViewT).state).toEqual({ label: 'dog' });
    await call('views.delete', { name: 'cats' });
    await expect(call('views.get', { name: 'cats' })).rejects.toThrow(/no saved view/);
    await expect(call('views.save', { name: 'bad', state: { region: { ids: [] } } })).rejects.toThrow();
    off();
    expect(events).toEqual(['red things', 'labelled', 'cats', 'cats', 'cats']);
  });

  it('winnow views list | show reads them through the project owner', async () => {
    await call('views.save', { name: 'first ten', state: { region: { ids: ids().slice(0, 10) } } });
    const stop = await publishOwnerApi(engine);
    try {
      const list = await winnowRun(['views', 'list', '--project', project.dir], { WINNOW_HOME: home });
      expect(list.code, list.stderr).toBe(0);
      expect(list.stdout).toContain('first ten  —  10 map points');
      const show = await winnowRun(['views', 'show', 'first ten', '--json', '--project', project.dir], { WINNOW_HOME: home });
      expect(show.code, show.stderr).toBe(0);
      expect(JSON.parse(show.stdout)).toMatchObject({ name: 'first ten', state: { region: { ids: ids().slice(0, 10) } } });
      const text = await winnowRun(['views', 'show', 'red things', '--project', project.dir], { WINNOW_HOME: home });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/first \d+ hits/);
      const missing = await winnowRun(['views', 'show', 'nope', '--project', project.dir], { WINNOW_HOME: home });
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('no saved view named “nope”');
    } finally {
      await stop();
    }
  }, 60_000);
});
