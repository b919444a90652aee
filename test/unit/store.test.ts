import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../main/engine/store/database';
import { migrations } from '../../main/engine/store/migrations';
import { IssueStore } from '../../main/engine/store/issues';
import { ItemStore, type NewItem } from '../../main/engine/store/items';
import { SourceStore } from '../../main/engine/store/sources';
import { tempDir } from '../fixtures/images';

const item = (key: string, caption: string | null = 'hello'): NewItem => ({
  key, uri: `/data/${key}`, format: 'jpg', width: 10, height: 20, bytes: 100, sha256: 'ab', caption, captionOrigin: caption ? 'sidecar.txt' : null, extra: { split: 'train' },
});

describe('project database', () => {
  it('opens in WAL mode at the latest schema version and reopens without re-running migrations', async () => {
    const file = path.join(await tempDir(), 'project.sqlite');
    const db = openDatabase(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.version)));
    new SourceStore(db).add('folder', '/data', '/data', 'data');
    db.close();
    const again = openDatabase(file);
    expect(new SourceStore(again).list()).toHaveLength(1);
    again.close();
  });

  it('refuses a database written by a newer Winnow', async () => {
    const file = path.join(await tempDir(), 'project.sqlite');
    const db = openDatabase(file);
    db.pragma('user_version = 999');
    db.close();
    expect(() => openDatabase(file)).toThrow(/newer than this Winnow/);
  });

  it('stores items with their primary caption and extra columns, once per key', async () => {
    const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const source = new SourceStore(db).add('folder', '/data', '/data', 'data');
    const items = new ItemStore(db);
    const id = items.insert(source.id, item('a.jpg'));
    expect(id).not.toBeNull();
    expect(items.insert(source.id, item('a.jpg'))).toBeNull();
    items.insert(source.id, item('b.jpg', null));
    expect(items.count()).toBe(2);
    const [a, b] = items.page(0, 10);
    expect(a).toMatchObject({ key: 'a.jpg', caption: 'hello', captionOrigin: 'sidecar.txt', extra: { split: 'train' }, issueCount: 0 });
    expect(b.caption).toBeNull();
    const issues = new IssueStore(db);
    issues.add({ kind: 'decode_failed', message: 'x', itemId: id, sourceId: source.id });
    expect(items.get(id!)!.issueCount).toBe(1);
    expect(issues.has(id!, 'decode_failed')).toBe(true);
    expect(new SourceStore(db).get(source.id)).toMatchObject({ itemCount: 2, issueCount: 1 });
  });

  it('pages by source and filter at any offset exactly like slicing the full ordered list', async () => {
    const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const sources = new SourceStore(db);
    const a = sources.add('folder', '/a', '/a', 'a');
    const b = sources.add('folder', '/b', '/b', 'b');
    const items = new ItemStore(db);
    for (let i = 0; i < 300; i++) items.insert(i % 3 === 0 ? b.id : a.id, { ...item(`k${i}.jpg`, i % 4 ? `caption ${i}` : null), width: i });
    // Ground truth from plain JavaScript over every item, not from SQL paging.
    const all = Array.from({ length: 300 }, (_, i) => ({ id: i + 1, source: i % 3 === 0 ? b.id : a.id, width: i, caption: i % 4 ? `caption ${i}` : null }));
    for (const [sourceId, where, keep] of [
      [undefined, null, () => true],
      [a.id, null, (x: (typeof all)[0]) => x.source === a.id],
      [b.id, 'i.width % 2 = 0', (x: (typeof all)[0]) => x.source === b.id && x.width % 2 === 0],
    ] as const) {
      const want = all.filter(keep);
      for (const [offset, limit] of [[0, 7], [13, 50], [want.length - 3, 10], [want.length + 5, 10]]) {
        const got = items.page(offset, limit, sourceId, where);
        expect(got.map((x) => [x.id, x.width, x.caption])).toEqual(want.slice(offset, offset + limit).map((x) => [x.id, x.width, x.caption]));
      }
    }
  });

  it('keeps item counts per source through inserts, deletes, moves and a source deleted with its items', async () => {
    const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const sources = new SourceStore(db);
    const a = sources.add('folder', '/a', '/a', 'a');
    const b = sources.add('folder', '/b', '/b', 'b');
    const items = new ItemStore(db);
    for (let i = 0; i < 40; i++) items.insert(i < 25 ? a.id : b.id, item(`k${i}.jpg`));
    items.insert(a.id, item('k0.jpg')); // already there: not counted twice
    const truth = () => [db.prepare('SELECT count(*) FROM items').pluck().get(), db.prepare('SELECT count(*) FROM items WHERE source_id = ?').pluck().get(a.id), db.prepare('SELECT count(*) FROM items WHERE source_id = ?').pluck().get(b.id)];
    const counted = () => [items.count(), items.count(a.id), items.count(b.id)];
    expect(counted()).toEqual([40, 25, 15]);
    db.prepare('DELETE FROM items WHERE id IN (1, 2, 30)').run();
    db.prepare('UPDATE items SET source_id = ? WHERE id IN (3, 4, 5)').run(b.id);
    expect(counted()).toEqual(truth());
    expect(counted()).toEqual([37, 20, 17]);
    expect(sources.get(b.id)!.itemCount).toBe(17);
    db.prepare('DELETE FROM sources WHERE id = ?').run(a.id); // items go with it (ON DELETE CASCADE)
    expect(counted()).toEqual(truth());
    expect(items.count()).toBe(17);
    expect(items.count(a.id)).toBe(0);
  });
});
