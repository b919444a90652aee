// Selections: a saved selection is a frozen snapshot (store/selections.ts): the item ids its rules kept
// when it was saved, the rules, and the runs those rules read. resolveSelection streams the snapshot's
// ids in id order, for export and every later stage (imported by main/engine/export/*: keep the
// signature). compareSelection re-evaluates the rules on today's data without touching the snapshot.
import { ApiError } from '../../domain/errors';
import { type RuleInput, type RuleT, type SelectionCompareT, type SelectionFilterT, type SelectionT, RuleList } from '../../domain/curation';
import type { Project } from '../project';
import type { Db } from '../store/database';
import { freezeRules, runsForRules, type SnapshotRow, SelectionTable } from '../store/selections';
import { compileRules, decidedRemovedCount, decidedRemovedPredicate } from './rules';
import { totalItems } from '../store/items';
import { MANUAL_EXCLUDED, MANUAL_KEPT } from '../store/manual';
import { ruleCount, rulePredicate } from './reasons';

export interface SelectionCounts { total: number; kept: number; removed: number }

const toSelection = (r: SnapshotRow): SelectionT => ({
  id: r.id, name: r.name, rules: r.rules, createdAt: r.createdAt, updatedAt: r.updatedAt,
  frozenAt: r.frozenAt, kept: r.kept, total: r.total, runIds: r.runIds, evaluation: r.evaluation,
});

export class SelectionStore {
  private readonly table: SelectionTable;
  /** `changed` hears of every saved, refreshed or deleted selection, after the write. */
  constructor(private readonly db: Db, private readonly changed: (name: string) => void = () => {}) {
    this.table = new SelectionTable(db);
  }

  list(): SelectionT[] {
    return this.table.list().map(toSelection);
  }

  find(name: string): SelectionT | undefined {
    const row = this.table.find(name);
    return row && toSelection(row);
  }

  get(name: string): SelectionT {
    const s = this.find(name);
    if (!s) throw new ApiError('not_found', `no selection named "${name}"`);
    return s;
  }

  /** Creates or replaces the named snapshot: the ids the rules keep now, with the runs they read. */
  save(name: string, rules: readonly (RuleInput | RuleT)[]): SelectionT {
    const parsed = RuleList.parse(rules);
    this.db.transaction(() => freezeRules(this.db, name, parsed))();
    this.changed(name);
    return this.get(name);
  }

  /** Re-freezes a snapshot from its own rules over today's data (what "update to current data" does). */
  refresh(name: string): SelectionT {
    return this.save(name, this.get(name).rules);
  }

  delete(name: string): boolean {
    const deleted = this.table.delete(name);
    if (deleted) this.changed(name);
    return deleted;
  }

  /** The snapshot next to what its rules select today: how many items each side has that the other lacks, and the runs read now. */
  compare(name: string): SelectionCompareT {
    const s = this.get(name);
    const inSnapshot = snapshotKeptPredicate(s.id);
    const liveKept = `NOT ${decidedRemovedPredicate(compileRules(this.db, s.rules))}`;
    const count = (where: string) => this.db.prepare(`SELECT count(*) FROM items i WHERE ${where}`).pluck().get() as number;
    const liveRunIds = runsForRules(this.db, s.rules);
    return {
      name, snapshotKept: s.kept, liveKept: count(liveKept), total: count('1'),
      onlyInSnapshot: count(`${inSnapshot} AND NOT (${liveKept})`), onlyLive: count(`(${liveKept}) AND NOT ${inSnapshot}`),
      runIds: s.runIds, liveRunIds, sameRuns: JSON.stringify(liveRunIds) === JSON.stringify(s.runIds),
    };
  }
}

/**
 * SQL over alias `i`: items a saved snapshot keeps once today's decisions by hand are applied. A decision
 * by hand is the curator's last word, so it wins over the frozen rules as it wins over live ones.
 */
export function snapshotKeptPredicate(selectionId: number, column = 'i.id'): string {
  return `((${SelectionTable.keptPredicate(selectionId, column)} OR ${column} IN (${MANUAL_KEPT})) AND ${column} NOT IN (${MANUAL_EXCLUDED}))`;
}

/**
 * The next chunk of a snapshot's kept ids after @last (snapshotKeptPredicate's set), driven from the snapshot's own rows: an
 * IN (snapshot) test over items re-built the snapshot's list on every chunk (seconds per export at 1M).
 */
function snapshotKeptAfterSql(selectionId: number): string {
  return `SELECT u.id FROM (SELECT item_id id FROM selection_items WHERE selection_id = ${Number(selectionId)} AND item_id > @last
      UNION ${MANUAL_KEPT} AND item_id > @last) u
    JOIN items i ON i.id = u.id WHERE u.id NOT IN (${MANUAL_EXCLUDED}) ORDER BY u.id LIMIT ${CHUNK}`;
}

/** SQL over alias `i` that is true for the items a filter shows (kept or removed), or null for all items. */
export function filterPredicate(db: Db, filter: SelectionFilterT | undefined): string | null {
  if (!filter) return null;
  if ('rules' in filter && filter.rule) return rulePredicate(db, filter.rules, filter.rule, filter.only ?? false);
  // A saved selection shows its snapshot; an ad-hoc rule list is evaluated live.
  const kept = 'rules' in filter ? `NOT ${decidedRemovedPredicate(compileRules(db, filter.rules))}` : snapshotKeptPredicate(new SelectionStore(db).get(filter.name).id);
  return filter.show === 'removed' ? `NOT ${kept}` : kept;
}

const CHUNK = 4096;

/**
 * Kept item ids of a saved selection in id order; null = every item. Ids are read in keyset-paged
 * chunks (a typed array at a time), so no statement stays open between yields: the caller may use
 * the database freely while iterating, and memory stays bounded.
 */
export function* resolveSelection(project: Project, selection: string | null): Iterable<number> {
  const stmt = project.db.prepare(selection === null
    ? `SELECT i.id FROM items i WHERE i.id > @last AND i.id NOT IN (${MANUAL_EXCLUDED}) ORDER BY i.id LIMIT ${CHUNK}`
    : snapshotKeptAfterSql(new SelectionStore(project.db).get(selection).id)).pluck();
  let last = 0;
  for (;;) {
    const ids = Int32Array.from(stmt.all({ last }) as number[]);
    for (const id of ids) yield id;
    if (ids.length < CHUNK) return;
    last = ids[ids.length - 1];
  }
}

/**
 * How many items a filter shows (kept or removed): a saved selection as frozen, a rule list from the rules'
 * sources rather than a scan of every item.
 */
export function filterCount(db: Db, filter: SelectionFilterT): number {
  if ('name' in filter) {
    const { total, kept } = snapshotCounts(db, new SelectionStore(db).get(filter.name));
    return filter.show === 'removed' ? total - kept : kept;
  }
  if (filter.rule) return ruleCount(db, filter.rules, filter.rule, filter.only ?? false);
  const removed = decidedRemovedCount(db, compileRules(db, filter.rules));
  return filter.show === 'removed' ? removed : totalItems(db) - removed;
}

/** Counts for a saved selection as frozen (null = all items kept). */
export function selectionCounts(project: Project, selection: string | null): SelectionCounts {
  const now = totalItems(project.db);
  if (selection === null) {
    const excluded = project.db.prepare(`SELECT count(*) FROM (${MANUAL_EXCLUDED})`).pluck().get() as number;
    return { total: now, kept: now - excluded, removed: excluded };
  }
  const { total, kept } = snapshotCounts(project.db, new SelectionStore(project.db).get(selection));
  return { total, kept, removed: total - kept };
}

/** A snapshot's kept count with decisions by hand applied: its frozen ids, plus kept by hand, minus excluded by hand. */
function snapshotCounts(db: Db, s: SelectionT): { total: number; kept: number } {
  const inSnapshot = `SELECT item_id FROM selection_items WHERE selection_id = ${Number(s.id)}`;
  const one = (sql: string) => db.prepare(sql).pluck().get() as number;
  const kept = s.kept + one(`SELECT count(*) FROM (${MANUAL_KEPT} EXCEPT ${inSnapshot})`) - one(`SELECT count(*) FROM (${MANUAL_EXCLUDED} INTERSECT ${inSnapshot})`);
  return { total: s.total ?? totalItems(db), kept };
}
