// Duplicate groups. Exact: same sha256. Perceptual: pHash within Hamming distance k of a group's
// keeper. A group is stored as signals on its non-keepers (`dup.exact` / `dup.phash` = keeper id), so
// the duplicate rules are ordinary signal rules and groups are one GROUP BY away.
import type { DupGroupT } from '../../../main/domain/curation';
import type { Db } from '../store/database';
import { distance64, splitHash } from './hash64';
import { MultiIndex } from './multi-index';
import { SIGNAL, SignalStore } from './signals';

export const DEFAULT_PHASH_K = 6;
export type DupKind = 'exact' | 'phash' | 'semantic';
const NAME: Record<DupKind, string> = { exact: SIGNAL.dupExact, phash: SIGNAL.dupPhash, semantic: SIGNAL.dupSemantic };

/** Keeper of a group: the item a person marked (dup.keep), else the first seen (lowest id). */
function pickKeeper(members: number[], manual: Set<number>): number {
  return members.find((m) => manual.has(m)) ?? Math.min(...members);
}

/**
 * Recomputes both kinds of groups (call inside a transaction). Perceptual grouping is leader
 * clustering in id order over a multi-index hash of leaders: an item joins the nearest earlier leader within k,
 * else becomes a leader. Groups therefore never chain (every member is within k of its leader) and
 * no pair of items is compared exhaustively.
 */
export function computeDuplicates(db: Db, k = DEFAULT_PHASH_K): { exactGroups: number; phashGroups: number } {
  const signals = new SignalStore(db);
  const manual = new Set(db.prepare('SELECT item_id FROM signals WHERE name = ? AND value = 1').pluck().all(SIGNAL.dupKeep) as number[]);
  signals.deleteName(SIGNAL.dupExact);
  signals.deleteName(SIGNAL.dupPhash);

  // Exact: one group per sha256 shared by 2+ items (ids arrive sorted inside each group).
  let exactGroups = 0;
  const exactParams = JSON.stringify({ by: 'sha256' });
  const exactRows = db.prepare(
    `SELECT group_concat(id) ids FROM (SELECT id, sha256 FROM items WHERE sha256 IS NOT NULL ORDER BY id)
     GROUP BY sha256 HAVING count(*) > 1`,
  ).pluck().all() as string[];
  for (const ids of exactRows) {
    const members = ids.split(',').map(Number);
    const keeper = pickKeeper(members, manual);
    for (const m of members) if (m !== keeper) signals.set(m, SIGNAL.dupExact, keeper, null, exactParams);
    exactGroups++;
  }

  // Perceptual: leaders in a multi-index hash (multi-index.ts); the assignment map holds only ids (bounded by item count).
  const tree = new MultiIndex(k);
  const groups = new Map<number, number[]>();
  for (const row of db.prepare('SELECT item_id id, phash FROM item_hashes ORDER BY item_id').iterate() as IterableIterator<{ id: number; phash: string }>) {
    const hit = tree.nearest(row.phash);
    if (hit) groups.get(hit.id)!.push(row.id);
    else {
      tree.add(row.phash, row.id);
      groups.set(row.id, [row.id]);
    }
  }
  const phashParams = JSON.stringify({ algo: 'dct64', k });
  let phashGroups = 0;
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const keeper = pickKeeper(members, manual);
    for (const m of members) if (m !== keeper) signals.set(m, SIGNAL.dupPhash, keeper, null, phashParams);
    phashGroups++;
  }
  return { exactGroups, phashGroups };
}

/** Number of groups of a kind. */
export function countGroups(db: Db, kind: DupKind): number {
  return db.prepare('SELECT count(DISTINCT value) FROM signals WHERE name = ?').pluck().get(NAME[kind]) as number;
}

interface MemberRow { id: number; key: string; width: number | null; height: number | null; caption: string | null; phash: string | null }

/** A page of groups, ordered by their smallest member id (stable when the keeper changes). */
export function listGroups(db: Db, kind: DupKind, offset: number, limit: number): { total: number; groups: DupGroupT[] } {
  const name = NAME[kind];
  const page = db.prepare(
    `SELECT CAST(value AS INTEGER) keeper, min(min(item_id), CAST(value AS INTEGER)) first FROM signals WHERE name = ?
     GROUP BY value ORDER BY first LIMIT ? OFFSET ?`,
  ).all(name, limit, offset) as { keeper: number }[];
  const members = db.prepare(
    `SELECT i.id, i.key, i.width, i.height, c.text caption, h.phash FROM items i
     LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1 LEFT JOIN item_hashes h ON h.item_id = i.id
     WHERE i.id = ? OR i.id IN (SELECT item_id FROM signals WHERE name = ? AND value = ?) ORDER BY i.id`,
  );
  const groups = page.map(({ keeper }) => {
    const rows = members.all(keeper, name, keeper) as MemberRow[];
    const kh = rows.find((r) => r.id === keeper)?.phash;
    const [khi, klo] = kh ? splitHash(kh) : [0, 0];
    return {
      keeper,
      members: rows.map((r) => ({
        id: r.id, key: r.key, width: r.width, height: r.height, caption: r.caption, keeper: r.id === keeper,
        distance: kh && r.phash ? distance64(khi, klo, ...splitHash(r.phash)) : null,
      })),
    };
  });
  return { total: countGroups(db, kind), groups };
}

/**
 * Makes an item the keeper of every duplicate group it belongs to (call inside a transaction), and
 * remembers the choice (`dup.keep`) so recomputing groups keeps it.
 */
export function setKeeper(db: Db, itemId: number): { changed: boolean; groups: { kind: DupKind; keeper: number }[] } {
  const signals = new SignalStore(db);
  const out: { kind: DupKind; keeper: number }[] = [];
  let changed = false;
  for (const kind of ['exact', 'phash', 'semantic'] as const) {
    const name = NAME[kind];
    const current = signals.get(itemId, name);
    const isKeeper = current === undefined && db.prepare('SELECT 1 FROM signals WHERE name = ? AND value = ? LIMIT 1').get(name, itemId) !== undefined;
    if (current === undefined && !isKeeper) continue;
    out.push({ kind, keeper: itemId });
    if (isKeeper) continue;
    const old = current!;
    const members = db.prepare('SELECT item_id FROM signals WHERE name = ? AND value = ?').pluck().all(name, old) as number[];
    const params = db.prepare('SELECT params FROM signals WHERE item_id = ? AND name = ?').pluck().get(itemId, name) as string | null;
    db.prepare('DELETE FROM signals WHERE item_id = ? AND name = ?').run(itemId, name);
    for (const m of members) if (m !== itemId) signals.set(m, name, itemId, null, params);
    signals.set(old, name, itemId, null, params);
    changed = true;
  }
  if (out.length > 0) {
    // The mark is per item: clear it on the other members of the groups, set it here.
    const others = db.prepare(
      `SELECT item_id FROM signals WHERE name IN (?, ?, ?) AND value = ?`,
    ).pluck().all(SIGNAL.dupExact, SIGNAL.dupPhash, SIGNAL.dupSemantic, itemId) as number[];
    const clear = db.prepare('DELETE FROM signals WHERE item_id = ? AND name = ?');
    for (const o of others) clear.run(o, SIGNAL.dupKeep);
    signals.set(itemId, SIGNAL.dupKeep, 1, null, JSON.stringify({ manual: true }));
  }
  return { changed, groups: out };
}
