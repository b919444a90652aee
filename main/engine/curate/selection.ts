// Selections: a named, saved rule list. resolveSelection streams the ids a selection keeps, in id
// order, for export and every later stage (imported by main/engine/export/*: keep the signature).
import { ApiError } from '../../../main/domain/errors';
import { type RuleInput, type RuleT, type SelectionFilterT, type SelectionT, RuleList } from '../../../main/domain/curation';
import type { Project } from '../project';
import type { Db } from '../store/database';
import { compileRules, removedCount, removedPredicate } from './rules';
import { totalItems } from '../store/items';

export interface SelectionCounts { total: number; kept: number; removed: number }

interface SelectionRow { id: number; name: string; rules: string; created_at: string; updated_at: string }
const toSelection = (r: SelectionRow): SelectionT => ({ id: r.id, name: r.name, rules: RuleList.parse(JSON.parse(r.rules)), createdAt: r.created_at, updatedAt: r.updated_at });

export class SelectionStore {
  constructor(private readonly db: Db) {}

  list(): SelectionT[] {
    return (this.db.prepare('SELECT * FROM selections ORDER BY name').all() as SelectionRow[]).map(toSelection);
  }

  find(name: string): SelectionT | undefined {
    const row = this.db.prepare('SELECT * FROM selections WHERE name = ?').get(name) as SelectionRow | undefined;
    return row && toSelection(row);
  }

  get(name: string): SelectionT {
    const s = this.find(name);
    if (!s) throw new ApiError('not_found', `no selection named "${name}"`);
    return s;
  }

  /** Creates or replaces the named selection; the rules are validated by compiling them first. */
  save(name: string, rules: readonly (RuleInput | RuleT)[]): SelectionT {
    const parsed = RuleList.parse(rules);
    compileRules(this.db, parsed);
    this.db.prepare(
      `INSERT INTO selections (name, rules) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET rules = excluded.rules, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
    ).run(name, JSON.stringify(parsed));
    return this.get(name);
  }

  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM selections WHERE name = ?').run(name).changes > 0;
  }
}

/** SQL over alias `i` that is true for the items a filter shows (kept or removed), or null for all items. */
export function filterPredicate(db: Db, filter: SelectionFilterT | undefined): string | null {
  if (!filter) return null;
  const rules = 'rules' in filter ? filter.rules : new SelectionStore(db).get(filter.name).rules;
  const removed = removedPredicate(compileRules(db, rules));
  return filter.show === 'removed' ? removed : `NOT ${removed}`;
}

const CHUNK = 4096;

/**
 * Kept item ids of a saved selection in id order; null = every item. Ids are read in keyset-paged
 * chunks (a typed array at a time), so no statement stays open between yields: the caller may use
 * the database freely while iterating, and memory stays bounded.
 */
export function* resolveSelection(project: Project, selection: string | null): Iterable<number> {
  const where = selection === null ? '1' : filterPredicate(project.db, { name: selection, show: 'kept' })!;
  const stmt = project.db.prepare(`SELECT i.id FROM items i WHERE i.id > ? AND ${where} ORDER BY i.id LIMIT ${CHUNK}`).pluck();
  let last = 0;
  for (;;) {
    const ids = Int32Array.from(stmt.all(last) as number[]);
    for (const id of ids) yield id;
    if (ids.length < CHUNK) return;
    last = ids[ids.length - 1];
  }
}

/** How many items a filter shows (kept or removed), from the rules' sources rather than a scan of every item. */
export function filterCount(db: Db, filter: SelectionFilterT): number {
  const rules = 'rules' in filter ? filter.rules : new SelectionStore(db).get(filter.name).rules;
  const removed = removedCount(db, compileRules(db, rules));
  return filter.show === 'removed' ? removed : totalItems(db) - removed;
}

/** Counts for a saved selection (null = all items kept). */
export function selectionCounts(project: Project, selection: string | null): SelectionCounts {
  const total = totalItems(project.db);
  if (selection === null) return { total, kept: total, removed: 0 };
  const removed = filterCount(project.db, { name: selection, show: 'removed' });
  return { total, kept: total - removed, removed };
}
