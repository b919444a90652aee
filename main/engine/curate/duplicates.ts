// Duplicate groups. Exact: same sha256. Perceptual: pHash within Hamming distance k of a group's
// keeper. Groups are stored in dup_groups / dup_members (store/dup-groups.ts) with the run that found
// them; the duplicate rules remove every member but the keeper.
import type { DupGroupT } from '../../domain/curation';
import type { Db } from '../store/database';
import { DupGroupStore, type DupKind } from '../store/dup-groups';
import { statement } from '../store/statements';
import { distance64, splitHash } from './hash64';
import { MultiIndex } from './multi-index';

export const DEFAULT_PHASH_K = 6;
export type { DupKind };

/** Keeper of a group: the item a person marked (dup_keepers), else the first seen (lowest id). */
function pickKeeper(members: number[], manual: Set<number>): number {
  return members.find((m) => manual.has(m)) ?? Math.min(...members);
}

/**
 * Recomputes both kinds of groups into the given runs (call inside a transaction). Perceptual grouping is leader
 * clustering in id order over a multi-index hash of leaders: an item joins the nearest earlier leader within k,
 * else becomes a leader. Groups therefore never chain (every member is within k of its leader) and
 * no pair of items is compared exhaustively.
 */
export function computeDuplicates(db: Db, k: number, runId: number | null): { exactGroups: number; phashGroups: number } {
  const store = new DupGroupStore(db);
  const manual = store.manualKeepers();

  // Exact: one group per sha256 shared by 2+ items (ids arrive sorted inside each group).
  const exactRows = db.prepare(
    `SELECT group_concat(id) ids FROM (SELECT id, sha256 FROM items WHERE sha256 IS NOT NULL ORDER BY id)
     GROUP BY sha256 HAVING count(*) > 1`,
  ).pluck().all() as string[];
  const exact = exactRows.map((ids) => {
    const members = ids.split(',').map(Number);
    return { keeper: pickKeeper(members, manual), members };
  });
  const exactGroups = store.replaceKind('exact', runId, exact);

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
  const phash = [...groups.values()].filter((m) => m.length > 1).map((members) => ({ keeper: pickKeeper(members, manual), members }));
  const phashGroups = store.replaceKind('phash', runId, phash);
  return { exactGroups, phashGroups };
}

/** Number of groups of a kind. */
export function countGroups(db: Db, kind: DupKind): number {
  return new DupGroupStore(db).count(kind);
}

interface MemberRow { id: number; key: string; width: number | null; height: number | null; caption: string | null; phash: string | null; sourceId: number; source: string }

/**
 * A page of groups, ordered by their smallest member id (stable when the keeper changes), each member with
 * its source and its likeness to the keeper. `cosineFor` gives semantic groups their embedding cosine.
 */
export function listGroups(db: Db, kind: DupKind, offset: number, limit: number, cosineFor?: (runId: number | null) => ((a: number, b: number) => number | null) | null): { total: number; groups: DupGroupT[] } {
  const store = new DupGroupStore(db);
  const page = store.page(kind, offset, limit);
  // Every member of the page in one statement (one per member cost ~10 µs each on a 1M-item project).
  const found = statement(db,
    `SELECT i.id, i.key, i.width, i.height, c.text caption, h.phash, i.source_id sourceId, s.name source FROM json_each(?) e CROSS JOIN items i ON i.id = e.value
     JOIN sources s ON s.id = i.source_id LEFT JOIN captions c ON c.item_id = i.id AND c.is_primary = 1 LEFT JOIN item_hashes h ON h.item_id = i.id`,
  ).all(JSON.stringify(page.flatMap((g) => g.members))) as MemberRow[];
  const byId = new Map(found.map((r) => [r.id, r]));
  const groups = page.map(({ keeper, members, runId }) => {
    const rows = members.map((id) => byId.get(id)).filter((r): r is MemberRow => r !== undefined);
    const kh = rows.find((r) => r.id === keeper)?.phash;
    const [khi, klo] = kh ? splitHash(kh) : [0, 0];
    const cosine = kind === 'semantic' ? cosineFor?.(runId) ?? null : null;
    const out = rows.map((r) => {
      const distance = kh && r.phash ? distance64(khi, klo, ...splitHash(r.phash)) : null;
      const similarity = r.id === keeper ? 1 : kind === 'exact' ? 1 : kind === 'phash' ? (distance === null ? null : 1 - distance / 64) : cosine?.(keeper, r.id) ?? null;
      return { id: r.id, key: r.key, width: r.width, height: r.height, caption: r.caption, keeper: r.id === keeper, distance, similarity, sourceId: r.sourceId, source: r.source };
    });
    const others = out.filter((m) => !m.keeper).map((m) => m.similarity);
    const similarity = others.length === 0 || others.some((v) => v === null) ? null : Math.min(...(others as number[]));
    return { keeper, members: out, similarity };
  });
  return { total: store.count(kind), groups };
}

/**
 * Makes an item the keeper of every duplicate group it belongs to (call inside a transaction), and
 * remembers the choice so recomputing groups keeps it.
 */
export function setKeeper(db: Db, itemId: number): { changed: boolean; groups: { kind: DupKind; keeper: number }[] } {
  return new DupGroupStore(db).setKeeper(itemId);
}
