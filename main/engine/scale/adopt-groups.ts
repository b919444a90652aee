// Duplicate groups decided outside the project (the merge of a scale-out run) written into its group
// tables by item key, so its duplicate rules remove what the merge removed. Replaces every group of the
// given kinds; the keeper is the one the merge chose (a keeper chosen by hand in the project still wins).
import { ApiError } from '../../domain/errors';
import type { Db } from '../store/database';
import { DupGroupStore, type DupKind } from '../store/dup-groups';

export interface AdoptedGroup { kind: DupKind; keeper: string; members: string[] }

export function adoptGroups(db: Db, sourceId: number, kinds: readonly DupKind[], groups: readonly AdoptedGroup[]): { groups: number; missing: number } {
  if (!db.prepare('SELECT 1 FROM sources WHERE id = ?').get(sourceId)) throw new ApiError('not_found', `no source ${sourceId}`);
  const idOf = db.prepare('SELECT id FROM items WHERE source_id = ? AND key = ?').pluck();
  let missing = 0;
  const byKind = new Map<DupKind, Array<{ keeper: number; members: number[] }>>(kinds.map((k) => [k, []]));
  for (const g of groups) {
    const list = byKind.get(g.kind);
    if (!list) throw new ApiError('bad_input', `group of kind ${g.kind} not in kinds`);
    const ids = g.members.map((k) => idOf.get(sourceId, k) as number | undefined);
    missing += ids.filter((id) => id === undefined).length;
    const members = ids.filter((id): id is number => id !== undefined);
    const keeper = idOf.get(sourceId, g.keeper) as number | undefined;
    if (keeper === undefined || members.length < 2) continue;
    list.push({ keeper, members });
  }
  const store = new DupGroupStore(db);
  const manual = store.manualKeepers();
  return db.transaction(() => {
    let n = 0;
    for (const [kind, list] of byKind) n += store.replaceKind(kind, null, list.map((g) => ({ ...g, keeper: g.members.find((m) => manual.has(m)) ?? g.keeper })));
    return { groups: n, missing };
  })();
}
