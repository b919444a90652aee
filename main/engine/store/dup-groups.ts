// Duplicate groups: one row per group (kind, keeper, the run that found it) and one per member. A
// person's keeper choice lives in dup_keepers, so recomputing groups keeps it.
import type { Db } from './database';

export type DupKind = 'exact' | 'phash' | 'semantic';
export const DUP_KINDS: readonly DupKind[] = ['exact', 'phash', 'semantic'];

export interface StoredGroup { id: number; kind: DupKind; keeper: number; runId: number | null; members: number[] }

export class DupGroupStore {
  constructor(private readonly db: Db) {}

  /** Replaces every group of a kind with these (call inside a transaction). Members include the keeper. */
  replaceKind(kind: DupKind, runId: number | null, groups: Iterable<{ keeper: number; members: readonly number[] }>): number {
    this.db.prepare('DELETE FROM dup_groups WHERE kind = ?').run(kind);
    const group = this.db.prepare('INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES (?, ?, ?)');
    const member = this.db.prepare('INSERT OR IGNORE INTO dup_members (group_id, item_id) VALUES (?, ?)');
    let n = 0;
    for (const g of groups) {
      const id = group.run(kind, runId, g.keeper).lastInsertRowid;
      member.run(id, g.keeper);
      for (const m of g.members) member.run(id, m);
      n++;
    }
    return n;
  }

  count(kind: DupKind): number {
    return this.db.prepare('SELECT count(*) FROM dup_groups WHERE kind = ?').pluck().get(kind) as number;
  }

  /** Items a kind's groups mark as duplicates (members that are not their group's keeper). */
  removedCount(kind: DupKind): number {
    return this.db.prepare(`SELECT count(*) FROM (${DupGroupStore.removedSource(kind)})`).pluck().get() as number;
  }

  /** A page of groups ordered by their smallest member id (stable when the keeper changes). */
  page(kind: DupKind, offset: number, limit: number): StoredGroup[] {
    const rows = this.db.prepare(
      `SELECT g.id, g.kind, g.keeper_id keeper, g.run_id runId, group_concat(m.item_id) ids, min(m.item_id) first
       FROM dup_groups g JOIN dup_members m ON m.group_id = g.id WHERE g.kind = ? GROUP BY g.id ORDER BY first, g.id LIMIT ? OFFSET ?`,
    ).all(kind, limit, offset) as { id: number; kind: DupKind; keeper: number; runId: number | null; ids: string }[];
    return rows.map(({ ids, ...g }) => ({ ...g, members: ids.split(',').map(Number).sort((a, b) => a - b) }));
  }

  /** Every group an item belongs to. */
  forItem(itemId: number): StoredGroup[] {
    const ids = this.db.prepare('SELECT group_id FROM dup_members WHERE item_id = ? ORDER BY group_id').pluck().all(itemId) as number[];
    return ids.map((id) => this.get(id)!);
  }

  get(id: number): StoredGroup | undefined {
    const g = this.db.prepare('SELECT id, kind, keeper_id keeper, run_id runId FROM dup_groups WHERE id = ?').get(id) as Omit<StoredGroup, 'members'> | undefined;
    if (!g) return undefined;
    const members = this.db.prepare('SELECT item_id FROM dup_members WHERE group_id = ? ORDER BY item_id').pluck().all(id) as number[];
    return { ...g, members };
  }

  /** SQL selecting the ids a duplicate rule removes: members of a kind's groups other than their keeper. */
  static removedSource(kind: DupKind): string {
    return `SELECT m.item_id FROM dup_members m JOIN dup_groups g ON g.id = m.group_id WHERE g.kind = '${kind}' AND m.item_id != g.keeper_id`;
  }

  /** Makes an item the keeper of every group it is in and remembers the choice (call inside a transaction). */
  setKeeper(itemId: number): { changed: boolean; groups: { kind: DupKind; keeper: number }[] } {
    const groups = this.forItem(itemId);
    if (groups.length === 0) return { changed: false, groups: [] };
    const changed = groups.some((g) => g.keeper !== itemId);
    this.db.prepare('UPDATE dup_groups SET keeper_id = ? WHERE id IN (SELECT group_id FROM dup_members WHERE item_id = ?)').run(itemId, itemId);
    // The mark is per item: clear it on the other members of its groups, set it here.
    this.db.prepare('DELETE FROM dup_keepers WHERE item_id IN (SELECT item_id FROM dup_members WHERE group_id IN (SELECT group_id FROM dup_members WHERE item_id = ?))').run(itemId);
    this.db.prepare('INSERT OR REPLACE INTO dup_keepers (item_id) VALUES (?)').run(itemId);
    return { changed, groups: groups.map((g) => ({ kind: g.kind, keeper: itemId })) };
  }

  /** Items a person chose as keeper. */
  manualKeepers(): Set<number> {
    return new Set(this.db.prepare('SELECT item_id FROM dup_keepers').pluck().all() as number[]);
  }
}
