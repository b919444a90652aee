// A page of duplicate groups (walked through memberships in item order) against grouping every group of the
// kind by its smallest member, as the page was read before: generated groups of three kinds, overlapping
// (an item in several groups), pages at every offset, through keeper changes and deletions.
import { describe, expect, it } from 'vitest';
import type { Db } from '../../../main/engine/store/database';
import { DupGroupStore, type DupKind } from '../../../main/engine/store/dup-groups';
import { itemDb } from '../../fixtures/item-db';

function grouped(db: Db, kind: DupKind, offset: number, limit: number) {
  const rows = db.prepare(
    `SELECT g.id, g.kind, g.keeper_id keeper, g.run_id runId, group_concat(m.item_id) ids, min(m.item_id) first
     FROM dup_groups g JOIN dup_members m ON m.group_id = g.id WHERE g.kind = ? GROUP BY g.id ORDER BY first, g.id LIMIT ? OFFSET ?`,
  ).all(kind, limit, offset) as { id: number; kind: DupKind; keeper: number; runId: number | null; ids: string; first: number }[];
  return rows.map(({ ids, first: _first, ...g }) => ({ ...g, members: ids.split(',').map(Number).sort((a, b) => a - b) }));
}

describe('duplicate group pages', () => {
  it('equal grouping every group by its smallest member, at every offset', async () => {
    const { db, addItems } = await itemDb();
    const ids = addItems(120);
    let seed = 5;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const pick = () => ids[Math.floor(random() * ids.length)];
    const store = new DupGroupStore(db);
    for (const kind of ['exact', 'phash', 'semantic'] as const) {
      const groups = Array.from({ length: 30 }, () => {
        const members = [...new Set([pick(), pick(), pick()])];
        return { keeper: members[0], members };
      });
      db.transaction(() => store.replaceKind(kind, null, groups))();
    }
    const check = () => {
      for (const kind of ['exact', 'phash', 'semantic'] as const) {
        for (const [offset, limit] of [[0, 1000], [0, 7], [5, 7], [28, 10], [200, 5]]) expect(store.page(kind, offset, limit)).toEqual(grouped(db, kind, offset, limit));
      }
    };
    check();
    db.transaction(() => store.setKeeper(ids[17]))();
    check();
    db.prepare(`DELETE FROM items WHERE id IN (${ids.filter((_, k) => k % 11 === 0).join(',')})`).run();
    check();
  });
});
