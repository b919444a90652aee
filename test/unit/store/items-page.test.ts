// Grid pages of every item: a seek when ids have no gaps, the offset walk otherwise; both against the ids in
// order read with plain SQL, at every offset, as items are added and deleted (first, last, middle, all).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/engine/store/database';
import { ItemStore } from '../../../main/engine/store/items';
import { SourceStore } from '../../../main/engine/store/sources';
import { tempDir } from '../../fixtures/images';

describe('items.page over every item', () => {
  it('gives the ids in order at each offset, with and without gaps in the ids', async () => {
    const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const source = new SourceStore(db).add('folder', '/d', '/d', 'd');
    const items = new ItemStore(db);
    let n = 0;
    const add = (count: number) => {
      for (let k = 0; k < count; k++, n++) items.insert(source.id, { key: `k${n}`, uri: `/d/${n}.jpg`, format: 'jpg', width: 10, height: 10, bytes: 1, sha256: `s${n}`, caption: `caption ${n}`, captionOrigin: 'source', extra: null });
    };
    const check = () => {
      const all = db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];
      for (const [offset, limit] of [[0, 10], [0, 1000], [3, 4], [all.length - 2, 10], [all.length, 5], [all.length + 9, 5]]) {
        const page = items.page(offset, limit);
        expect(page.map((i) => i.id)).toEqual(all.slice(offset, offset + limit));
        for (const item of page) expect(item.caption).toBe(`caption ${Number(item.key.slice(1))}`);
      }
    };
    check();
    add(30);
    check();
    const del = (where: string) => db.prepare(`DELETE FROM items WHERE id = (${where})`).run();
    del('SELECT min(id) FROM items');
    check();
    del('SELECT max(id) FROM items');
    check();
    del('SELECT id FROM items ORDER BY id LIMIT 1 OFFSET 10');
    check();
    add(5);
    check();
    db.prepare('DELETE FROM items').run();
    check();
  });
});
