// Duplicate groups: one row per group (kind, keeper, the run that found it) and one per member. A
// person's keeper choice lives in dup_keepers, so recomputing groups keeps it.
import type { Db } from './database';
import { statement } from './statements';

export type DupKind = 'exact' | 'phash' | 'semantic';
export const DUP_KINDS: readonly DupKind[] = ['exact', 'phash', 'semantic'];

export interface StoredGroup { id: number; kind: DupKind; keeper: number; runId: number | null; members: number[] }

const groupCounts = new WeakMap<Db, Map<DupKind, { version: number; count: number }>>();

export class DupGroupStore {
  constructor(private readonly db: Db) {}

  /** Replaces every group of a kind with these (call inside a transaction). Members include the keeper. */
  replaceKind(kind: DupKind, runId: number | null, found: Iterable<{ keeper: number; members: readonly number[] }>): number {
    // Pairs a person marked "not a duplicate" are kept apart whatever this run found.
    const apart = this.notPairs(kind);
    const manual = apart.size > 0 ? this.manualKeepers() : new Set<number>();
    const groups = apart.size === 0 ? found : [...found].flatMap((g) => splitApart(g, apart, manual));
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

  /**
   * Groups of a kind. Counting scans the kind's index (~0.4 ms for 20k groups, every page view), so the count is kept
   * per connection until dup_groups changes (change_versions, migration 26), whichever process changed it.
   */
  count(kind: DupKind): number {
    // Inside a transaction the version may be this connection's uncommitted write, which a rollback takes back.
    if (this.db.inTransaction) return this.countNow(kind);
    const version = (statement(this.db, `SELECT version FROM change_versions WHERE key = 'table:dup_groups'`, { pluck: true }).get() as number | undefined) ?? 0;
    let counts = groupCounts.get(this.db);
    if (!counts) groupCounts.set(this.db, (counts = new Map()));
    const hit = counts.get(kind);
    if (hit?.version === version) return hit.count;
    const count = this.countNow(kind);
    counts.set(kind, { version, count });
    return count;
  }

  private countNow(kind: DupKind): number {
    return statement(this.db, 'SELECT count(*) FROM dup_groups WHERE kind = ?', { pluck: true }).get(kind) as number;
  }

  /** Items a kind's groups mark as duplicates (members that are not their group's keeper). */
  removedCount(kind: DupKind): number {
    return this.db.prepare(`SELECT count(*) FROM (${DupGroupStore.removedSource(kind)})`).pluck().get() as number;
  }

  /**
   * A page of groups ordered by their smallest member id (stable when the keeper changes). Walks memberships in
   * (item, group) order through dup_members_item and keeps each group at its smallest member, so a page costs
   * the memberships before it, not a grouping of every group of the kind (~45 ms for 20k groups on 1M items).
   */
  page(kind: DupKind, offset: number, limit: number): StoredGroup[] {
    // One statement for the page, groups and members (a statement per group cost ~15 µs each on a 1M-item project).
    const rows = statement(this.db,
      `SELECT g.id, g.kind, g.keeper_id keeper, g.run_id runId, mm.item_id member FROM (
         SELECT m.group_id gid, m.item_id first FROM dup_members m INDEXED BY dup_members_item CROSS JOIN dup_groups g ON g.id = m.group_id
         WHERE g.kind = ? AND NOT EXISTS (SELECT 1 FROM dup_members p WHERE p.group_id = m.group_id AND p.item_id < m.item_id)
         ORDER BY m.item_id, m.group_id LIMIT ? OFFSET ?) p
       CROSS JOIN dup_groups g ON g.id = p.gid CROSS JOIN dup_members mm ON mm.group_id = p.gid ORDER BY p.first, p.gid, mm.item_id`,
    ).all(kind, limit, offset) as (Omit<StoredGroup, 'members'> & { member: number })[];
    const groups: StoredGroup[] = [];
    for (const { member, ...g } of rows) {
      if (groups.at(-1)?.id !== g.id) groups.push({ ...g, members: [] });
      groups.at(-1)!.members.push(member);
    }
    return groups;
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

  /** "Not a duplicate" pairs of a kind as `a:b` keys (a < b). */
  notPairs(kind: DupKind): Set<string> {
    const rows = this.db.prepare('SELECT a, b FROM dup_not_pairs WHERE kind = ?').all(kind) as { a: number; b: number }[];
    return new Set(rows.map((r) => `${r.a}:${r.b}`));
  }

  /**
   * "Not a duplicate": the item is no duplicate of the other members of its groups (of `kind`, or of every
   * kind). The pairs are remembered, so later dedup runs keep them apart, and the groups are split now
   * (call inside a transaction). Returns how many groups changed.
   */
  markNotDuplicate(itemId: number, kind: DupKind | null, by: string): number {
    const groups = this.forItem(itemId).filter((g) => kind === null || g.kind === kind);
    const pair = this.db.prepare('INSERT OR IGNORE INTO dup_not_pairs (kind, a, b, decided_by) VALUES (?, ?, ?, ?)');
    const manual = this.manualKeepers();
    for (const g of groups) {
      for (const other of g.members) if (other !== itemId) pair.run(g.kind, Math.min(itemId, other), Math.max(itemId, other), by);
      const apart = this.notPairs(g.kind);
      this.db.prepare('DELETE FROM dup_groups WHERE id = ?').run(g.id);
      const group = this.db.prepare('INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES (?, ?, ?)');
      const member = this.db.prepare('INSERT OR IGNORE INTO dup_members (group_id, item_id) VALUES (?, ?)');
      for (const part of splitApart(g, apart, manual)) {
        const id = group.run(g.kind, g.runId, part.keeper).lastInsertRowid;
        for (const m of part.members) member.run(id, m);
      }
    }
    return groups.length;
  }

  /** The "not a duplicate" marks that involve an item. */
  notDuplicateOf(itemId: number): { kind: DupKind; other: number; by: string; at: string }[] {
    return this.db.prepare(
      `SELECT kind, CASE WHEN a = ? THEN b ELSE a END other, decided_by by, decided_at at FROM dup_not_pairs WHERE a = ? OR b = ? ORDER BY kind, other`,
    ).all(itemId, itemId, itemId) as { kind: DupKind; other: number; by: string; at: string }[];
  }

  /** Items a person chose as keeper. */
  manualKeepers(): Set<number> {
    return new Set(this.db.prepare('SELECT item_id FROM dup_keepers').pluck().all() as number[]);
  }
}

/**
 * Splits a group so no two members a person marked "not a duplicate" stay together: each member (keeper
 * first) joins the first part holding none of its marked partners, else starts a new part. Parts of one
 * item are no longer duplicates; a part without the old keeper gets the person's keeper or its first member.
 */
export function splitApart(group: { keeper: number; members: readonly number[] }, apart: ReadonlySet<string>, manual: ReadonlySet<number>): { keeper: number; members: number[] }[] {
  const isApart = (x: number, y: number) => apart.has(`${Math.min(x, y)}:${Math.max(x, y)}`);
  const order = [group.keeper, ...group.members.filter((m) => m !== group.keeper)];
  const parts: number[][] = [];
  for (const m of order) {
    const home = parts.find((p) => p.every((x) => !isApart(m, x)));
    if (home) home.push(m);
    else parts.push([m]);
  }
  return parts.filter((p) => p.length > 1).map((p) => ({
    keeper: p.includes(group.keeper) ? group.keeper : p.find((m) => manual.has(m)) ?? Math.min(...p),
    members: [...p].sort((a, b) => a - b),
  }));
}
