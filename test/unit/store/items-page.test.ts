// Grid pages of every item: a seek when ids have no gaps, the offset walk otherwise; both against the ids in
// order read with plain SQL, at every offset, as items are added and deleted (first, last, middle, all).
import { describe, expect, it } from 'vitest';
import { itemDb } from '../../fixtures/item-db';

describe('items.page over every item', () => {
  it('gives the ids in order at each offset, with and without gaps in the ids', async () => {
    const { db, items, addItems } = await itemDb();
    const add = (count: number) => addItems(count, { caption: (n) => `caption ${n}` });
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
