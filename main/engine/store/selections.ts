// The selections + selection_items tables. A saved selection is a frozen snapshot: the ids of the items
// it kept when it was saved, with the rules and the runs (signals, duplicate groups) those rules read
// then. Later runs change what the rules would select now, never what the snapshot holds.
import { type EvaluationT, RuleList, type RuleT } from '../../domain/curation';
import { evaluateRules } from '../curate/evaluate';
import { compileRules, decidedRemovedPredicate, DUP_RULE_KIND } from '../curate/rules';
import type { Db } from './database';

export interface SnapshotRow { id: number; name: string; rules: RuleT[]; runIds: number[]; total: number | null; kept: number; frozenAt: string | null; evaluation: EvaluationT | null; createdAt: string; updatedAt: string }

interface Row { id: number; name: string; rules: string; run_ids: string; total: number | null; kept: number; frozen_at: string | null; evaluation: string | null; created_at: string; updated_at: string }
const toSnapshot = (r: Row): SnapshotRow => ({
  id: r.id, name: r.name, rules: RuleList.parse(JSON.parse(r.rules)), runIds: JSON.parse(r.run_ids) as number[], total: r.total, kept: r.kept,
  frozenAt: r.frozen_at, evaluation: r.evaluation === null ? null : (JSON.parse(r.evaluation) as EvaluationT), createdAt: r.created_at, updatedAt: r.updated_at,
});
const SELECT = 'SELECT s.*, (SELECT count(*) FROM selection_items WHERE selection_id = s.id) kept FROM selections s';

export class SelectionTable {
  constructor(private readonly db: Db) {}

  list(): SnapshotRow[] {
    return (this.db.prepare(`${SELECT} ORDER BY s.name`).all() as Row[]).map(toSnapshot);
  }

  find(name: string): SnapshotRow | undefined {
    const row = this.db.prepare(`${SELECT} WHERE s.name = ?`).get(name) as Row | undefined;
    return row && toSnapshot(row);
  }

  /**
   * Creates or replaces a snapshot (call inside a transaction): `keptSql` is a SELECT of the item ids
   * the rules keep now; they are copied, so later runs do not move them. The per-rule evaluation is
   * kept with them, so a dataset card from the snapshot says what the rules did then.
   */
  freeze(name: string, rules: RuleT[], keptSql: string, runIds: number[], evaluation: EvaluationT): void {
    const total = this.db.prepare('SELECT count(*) FROM items').pluck().get() as number;
    this.db.prepare(
      `INSERT INTO selections (name, rules, run_ids, total, evaluation, frozen_at) VALUES (?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
       ON CONFLICT (name) DO UPDATE SET rules = excluded.rules, run_ids = excluded.run_ids, total = excluded.total,
       evaluation = excluded.evaluation, frozen_at = excluded.frozen_at, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
    ).run(name, JSON.stringify(rules), JSON.stringify(runIds), total, JSON.stringify(evaluation));
    const id = this.db.prepare('SELECT id FROM selections WHERE name = ?').pluck().get(name) as number;
    this.db.prepare('DELETE FROM selection_items WHERE selection_id = ?').run(id);
    this.db.prepare(`INSERT INTO selection_items (selection_id, item_id) SELECT ?, id FROM (${keptSql})`).run(id);
  }

  delete(name: string): boolean {
    return this.db.prepare('DELETE FROM selections WHERE name = ?').run(name).changes > 0;
  }

  /** SQL over alias `i`: true for items the named snapshot kept. */
  static keptPredicate(selectionId: number, column = 'i.id'): string {
    return `(${column} IN (SELECT item_id FROM selection_items WHERE selection_id = ${Number(selectionId)}))`;
  }
}

/** A snapshot of a rule list over today's data (call inside a transaction). */
export function freezeRules(db: Db, name: string, rules: RuleT[]): void {
  new SelectionTable(db).freeze(name, rules, keptNowSql(db, rules), runsForRules(db, rules), evaluateRules(db, rules));
}

/** SELECT of the ids a rule list keeps now. */
export function keptNowSql(db: Db, rules: readonly RuleT[]): string {
  return `SELECT i.id FROM items i WHERE NOT ${decidedRemovedPredicate(compileRules(db, rules))}`;
}

/** The runs whose rows a rule list reads now: per enabled rule, the runs of its signal or duplicate kind. */
export function runsForRules(db: Db, rules: readonly RuleT[]): number[] {
  const ids = new Set<number>();
  const bySignal = db.prepare('SELECT DISTINCT run_id FROM signals WHERE name = ? AND run_id IS NOT NULL').pluck();
  const byDup = db.prepare('SELECT DISTINCT run_id FROM dup_groups WHERE kind = ? AND run_id IS NOT NULL').pluck();
  for (const c of compileRules(db, rules)) {
    if (!c.rule.enabled) continue;
    const dup = DUP_RULE_KIND[c.rule.kind];
    const found = (dup ? byDup.all(dup) : c.signal ? bySignal.all(c.signal) : []) as number[];
    found.forEach((id) => ids.add(id));
  }
  return [...ids].sort((a, b) => a - b);
}

/** Migration 7: selections saved before snapshots existed are frozen as their rules select at upgrade time. */
export function freezeSelections(db: Db): void {
  for (const s of db.prepare('SELECT name, rules FROM selections').all() as { name: string; rules: string }[]) {
    freezeRules(db, s.name, RuleList.parse(JSON.parse(s.rules)));
  }
}
