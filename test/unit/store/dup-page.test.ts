// A page of duplicate groups (walked through memberships in item order) against grouping every group of the
// kind by its smallest member, as the page was read before: generated groups of three kinds, overlapping
// (an item in several groups), pages at every offset, through keeper changes and deletions.
import { describe, expect, it } from 'vitest';
import { listGroups } from '../../../main/engine/curate/duplicates';
import { type Db, openDatabase } from '../../../main/engine/store/database';
import { DupGroupStore, type DupKind } from '../../../main/engine/store/dup-groups';
import { itemDb } from '../../fixtures/item-db';

function grouped(db: Db, kind: DupKind, offset: number, limit: number) {
  const rows = db.prepare(
    `SELECT g.id, g.kind, g.keeper_id keeper, g.run_id runId, group_concat(m.item_id) ids, min(m.item_id) first
     FROM dup_groups g JOIN dup_members m ON m.group_id = g.id WHERE g.kind = ? GROUP BY g.id ORDER BY first, g.id LIMIT ? OFFSET ?`,
  ).all(kind, limit, offset) as { id: number; kind: DupKind; keeper: number; runId: number | null; ids: string; first: number }[];
  return rows.map(({ ids, first: _first, ...g }) => ({ ...g, members: ids.split(',').map(Number).sort((a, b) => a - b) }));
}

/** A page's members looked up one by one, as listGroups did before reading them in one statement. */
function membersOneByOne(db: Db, kind: DupKind, offset: number, limit: number) {
  const member = db.prepare(`SELECT i.id, i.key, c.text caption, h.phash, s.name source FROM items i JOIN sources s ON s.id = i.source_id
    LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1 LEFT JOIN item_hashes h ON h.item_id = i.id WHERE i.id = ?`);
  return grouped(db, kind, offset, limit).map((g) => ({ keeper: g.keeper, members: g.members.map((id) => member.get(id)) }));
}

describe('duplicate group pages', () => {
  it('equal grouping every group by its smallest member, at every offset', async () => {
    const { db, file, addItems } = await itemDb();
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
        for (const [offset, limit] of [[0, 1000], [0, 7], [5, 7], [28, 10], [200, 5]]) {
          expect(store.page(kind, offset, limit)).toEqual(grouped(db, kind, offset, limit));
          const listed = listGroups(db, kind, offset, limit);
          expect(listed.groups.map((g) => ({ keeper: g.keeper, members: g.members.map(({ id, key, caption, source }) => ({ id, key, caption, phash: phashes.get(id) ?? null, source })) })))
            .toEqual(membersOneByOne(db, kind, offset, limit));
          // The count is kept between calls until dup_groups changes.
          expect(listed.total).toBe(db.prepare('SELECT count(*) FROM dup_groups WHERE kind = ?').pluck().get(kind));
        }
      }
    };
    const phashes = new Map<number, string>();
    for (const id of ids.filter((_, k) => k % 3 === 0)) {
      phashes.set(id, (id * 7919).toString(16).padStart(16, '0'));
      db.prepare('INSERT INTO item_hashes (item_id, phash) VALUES (?, ?)').run(id, phashes.get(id));
    }
    db.prepare(`INSERT INTO captions (item_id, origin, text) VALUES (?, 'source', 'a caption')`).run(ids[3]);
    check();
    db.transaction(() => store.setKeeper(ids[17]))();
    check();
    db.prepare(`DELETE FROM items WHERE id IN (${ids.filter((_, k) => k % 11 === 0).join(',')})`).run();
    check();
    // Another connection (another Winnow process) removes groups: this connection's kept counts must notice.
    const other = openDatabase(file);
    other.prepare(`DELETE FROM dup_groups WHERE id IN (SELECT id FROM dup_groups WHERE kind = 'exact' LIMIT 4)`).run();
    other.close();
    check();
    // A rolled-back removal of 3 groups, then a write of as many rows that removes none: the count seen inside the
    // transaction must not be kept (the version reaches the same number again).
    try {
      db.transaction(() => {
        db.prepare(`DELETE FROM dup_groups WHERE id IN (SELECT id FROM dup_groups WHERE kind = 'phash' LIMIT 3)`).run();
        check();
        throw new Error('roll back');
      })();
    } catch { /* the rollback under test */ }
    db.prepare(`UPDATE dup_groups SET keeper_id = keeper_id WHERE id IN (SELECT id FROM dup_groups WHERE kind = 'phash' LIMIT 3)`).run();
    check();
  });
});
