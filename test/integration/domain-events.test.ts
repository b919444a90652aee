// The engine announces what changed where the write is committed: a job's batches (before its final
// state), review edits, selection saves and keeper choices each emit their typed domain event.
import { copyFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch } from '../../main/api/handlers';
import type { EventName } from '../../main/domain/events';
import type { JobT } from '../../main/domain/job';
import { listGroups } from '../../main/engine/curate/duplicates';
import { Engine } from '../../main/engine/engine';
import { makeImageFolder, tempDir } from '../fixtures/images';

const PAIRS = 12;

let engine: Engine;
let dispatch: ReturnType<typeof createDispatch>;
const heard: { event: EventName; payload: unknown; exactGroups: number }[] = [];

beforeAll(async () => {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  const data = await tempDir();
  const truth = await makeImageFolder(data, { count: PAIRS + 5 });
  // The first PAIRS images get a byte-identical copy: PAIRS exact-duplicate groups.
  for (const rel of truth.good.slice(0, PAIRS)) copyFileSync(path.join(data, rel), path.join(data, rel.replace(/\.jpg$/, '-copy.jpg')));
  engine = new Engine('cli');
  await engine.createProject(path.join(home, 'p'));
  dispatch = createDispatch(engine);
  // What a front end could read at the moment each event arrives.
  engine.events.onAny((event, payload) => heard.push({ event, payload, exactGroups: listGroups(engine.project!.db, 'exact', 0, 1).total }));
  await engine.addSource(data);
  await engine.project!.jobs.idle();
});

afterAll(async () => {
  await engine.close();
});

const since = (mark: number) => heard.slice(mark);

describe('domain events', () => {
  it('an import announces items; a statistics job announces signals and duplicates before it reports done', async () => {
    expect(heard.some((h) => h.event === 'items.changed')).toBe(true);
    const mark = heard.length;
    const { jobId } = await dispatch('curate.runStats', {}) as { jobId: number };
    await engine.project!.jobs.idle();
    const events = since(mark);
    const done = events.findIndex((h) => h.event === 'job.progress' && (h.payload as JobT).id === jobId && (h.payload as JobT).state === 'done');
    expect(done).toBeGreaterThan(0);
    const dups = events.filter((h, i) => h.event === 'duplicates.changed' && i < done);
    const signals = events.filter((h, i) => h.event === 'signals.changed' && i < done);
    expect(dups.length).toBeGreaterThan(0);
    expect(signals.length).toBeGreaterThan(0);
    for (const h of [...dups, ...signals]) expect(h.payload).toEqual({ jobId });
    // The last announcement before `done` comes after the groups were committed: a reader then sees all of them.
    expect(dups.at(-1)!.exactGroups).toBe(PAIRS);
    // Nothing announced annotations or embeddings: the statistics job writes neither.
    expect(events.some((h) => h.event === 'annotations.changed' || h.event === 'embeddings.changed')).toBe(false);
  });

  it('a keeper choice announces duplicates; a selection save and delete announce selections', async () => {
    const group = listGroups(engine.project!.db, 'exact', 0, 1).groups[0];
    const other = group.members.find((m) => !m.keeper)!;
    let mark = heard.length;
    await dispatch('duplicates.setKeeper', { itemId: other.id });
    expect(since(mark).map((h) => [h.event, h.payload])).toEqual([['duplicates.changed', { jobId: null }]]);

    mark = heard.length;
    await dispatch('selection.save', { name: 'big', rules: [{ id: 'min', kind: 'min_side', threshold: 10 }] });
    await dispatch('selection.delete', { name: 'big' });
    await dispatch('selection.delete', { name: 'big' });
    // The second delete removed nothing and announces nothing.
    expect(since(mark).map((h) => [h.event, h.payload])).toEqual([['selections.changed', { name: 'big' }], ['selections.changed', { name: 'big' }]]);
  });

  it('review edits announce the items whose annotations changed; undo announces many', async () => {
    const itemId = listGroups(engine.project!.db, 'exact', 0, 1).groups[0].members[0].id;
    let mark = heard.length;
    const added = await dispatch('review.add', { itemId, label: 'cat', bbox: [1, 1, 10, 10] }) as { annotations: { id: number }[] };
    await dispatch('review.decide', { ids: [added.annotations[0].id], state: 'rejected' });
    expect(since(mark).map((h) => [h.event, h.payload])).toEqual([
      ['annotations.changed', { jobId: null, itemIds: [itemId] }],
      ['annotations.changed', { jobId: null, itemIds: [itemId] }],
    ]);
    mark = heard.length;
    await dispatch('review.undo', {});
    expect(since(mark).map((h) => [h.event, h.payload])).toEqual([['annotations.changed', { jobId: null, itemIds: null }]]);
  });
});
