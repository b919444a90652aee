// Why is this item removed? For a set of items (a grid page, the open item) and a rule list: every
// enabled rule that removes each item, with the item's value and the threshold it failed (duplicate
// rules name the keeper, the unreadable rule the issue), plus the decision by hand and tags. Each rule
// is asked once for the whole id set through its own compiled source, so the reasons are by
// construction the same predicates that decide the grid, the counts and the export.
import type { ItemMarksT, RemovalReasonT } from '../../domain/decisions';
import { KEEPS, type RuleInput, type RuleT } from '../../domain/curation';
import type { Db } from '../store/database';
import { ManualStore } from '../store/manual';
import { type CompiledRule, compileRules, DUP_RULE_KIND, UNREADABLE_KINDS } from './rules';
import { removedSets } from './removed-sets';
import { sourceCount } from './evaluate';

const DUP_WORDS = { exact: 'exact', phash: 'perceptual', semantic: 'semantic' } as const;

/** The keep-condition a compiled rule applies (keepTop resolves to ≥ / ≤ a quantile). */
function keepOp(c: CompiledRule): keyof typeof KEEPS | null {
  const op = c.rule.op ?? null;
  if (op === null) return null;
  if (c.rule.keepTop !== undefined) return op === '<' || op === '<=' ? '<=' : '>=';
  return op;
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(',');

/** Per rule, which of `ids` it removes, with the details that explain it. */
function reasonsByItem(db: Db, compiled: readonly CompiledRule[], ids: readonly number[]): Map<number, RemovalReasonT[]> {
  const out = new Map<number, RemovalReasonT[]>();
  if (ids.length === 0) return out;
  const inIds = `item_id IN (${placeholders(ids.length)})`;
  const add = (id: number, r: RemovalReasonT) => out.set(id, [...(out.get(id) ?? []), r]);
  for (const c of compiled) {
    if (!c.rule.enabled || c.source === null) continue;
    const op = keepOp(c);
    if (c.signal !== null && c.threshold !== null && op !== null && !DUP_RULE_KIND[c.rule.kind]) {
      // Threshold rules: the page's values by primary key (item_id, name), judged by the keep-condition.
      // Asking the rule's source instead (or letting `name =` pick the (name, value) index: the unary +) scans every item with the signal.
      const rows = db.prepare(`SELECT item_id id, value FROM signals WHERE ${inIds} AND +name = ?`).all(...ids, c.signal) as { id: number; value: number }[];
      const base = { ruleId: c.rule.id, kind: c.rule.kind, label: c.rule.label ?? c.rule.id, signal: c.signal, op, threshold: c.threshold, detail: null };
      for (const r of rows) if (!KEEPS[op](r.value, c.threshold)) add(r.id, { ...base, value: r.value });
      continue;
    }
    const base = { ruleId: c.rule.id, kind: c.rule.kind, label: c.rule.label ?? c.rule.id, signal: c.signal, value: null, op: null, threshold: null, detail: null };
    if (c.rule.kind === 'unreadable') {
      // The page's issues by item (the rule's DISTINCT source would be built over every issue first).
      const rows = db.prepare(`SELECT item_id id, group_concat(DISTINCT kind) kinds FROM issues WHERE ${inIds} AND kind IN (${UNREADABLE_KINDS.map(() => '?').join(',')}) GROUP BY item_id`)
        .all(...ids, ...UNREADABLE_KINDS) as { id: number; kinds: string }[];
      for (const r of rows) add(r.id, { ...base, detail: r.kinds });
      continue;
    }
    const dup = DUP_RULE_KIND[c.rule.kind];
    if (dup) {
      // From the page's memberships to their groups (CROSS JOIN keeps that order): starting from every
      // group of the kind would probe each of them for each id on the page.
      const rows = db.prepare(
        `SELECT m.item_id id, g.keeper_id keeper FROM dup_members m CROSS JOIN dup_groups g ON g.id = m.group_id WHERE m.${inIds} AND g.kind = ? AND m.item_id != g.keeper_id`,
      ).all(...ids, dup) as { id: number; keeper: number }[];
      for (const r of rows) add(r.id, { ...base, detail: `${DUP_WORDS[dup]} duplicate of #${r.keeper}` });
      continue;
    }
    // Any other rule: ask its own source about the page.
    for (const id of db.prepare(`SELECT item_id FROM (${c.source}) WHERE ${inIds}`).pluck().all(...ids) as number[]) add(id, { ...base, op, threshold: c.threshold });
  }
  return out;
}

/** Reasons, decision by hand and tags for each id (in the order given). */
export function itemMarks(db: Db, rules: readonly (RuleInput | RuleT)[], ids: readonly number[]): ItemMarksT[] {
  const compiled = compileRules(db, rules);
  const unique = [...new Set(ids)];
  const reasons = new Map<number, RemovalReasonT[]>();
  // SQLite's host-parameter limit: ask in slices.
  for (let i = 0; i < unique.length; i += 900) {
    for (const [id, r] of reasonsByItem(db, compiled, unique.slice(i, i + 900))) reasons.set(id, r);
  }
  const manual = new ManualStore(db);
  const decisions = manual.decisionsFor(unique);
  const tags = manual.tagsFor(unique);
  return ids.map((id) => {
    const r = reasons.get(id) ?? [];
    const d = decisions.get(id) ?? null;
    return { id, reasons: r, manual: d, tags: (tags.get(id) ?? []).map((t) => t.tag), removed: d ? d.decision === 'exclude' : r.length > 0 };
  });
}

/** SQL over alias `i`: items one rule removes; `only`: and no other enabled rule does (the per-rule gallery). */
export function rulePredicate(db: Db, rules: readonly (RuleInput | RuleT)[], ruleId: string, only: boolean): string {
  const { source, others } = ruleSources(db, rules, ruleId);
  if (source === null) return '0';
  return only && others.length > 0 ? `(i.id IN (${source}) AND i.id NOT IN (${others.join(' UNION ')}))` : `i.id IN (${source})`;
}

/** How many items the per-rule gallery shows: the rule's removed set (minus the other enabled rules') as bitsets. */
export function ruleCount(db: Db, rules: readonly (RuleInput | RuleT)[], ruleId: string, only: boolean): number {
  const compiled = compileRules(db, rules);
  const target = compiled.find((c) => c.rule.id === ruleId);
  if (!target || target.source === null) return 0;
  const sets = removedSets(db);
  const others = compiled.filter((c) => c !== target && c.rule.enabled && c.source !== null);
  if (!sets.ready([target, ...others])) {
    if (!only || others.length === 0) return sourceCount(db, target);
    // Compound selects associate to the left: the others' union goes in a subquery, not after EXCEPT.
    return db.prepare(`SELECT count(DISTINCT item_id) FROM (${target.source}) WHERE item_id NOT IN (${others.map((c) => c.source!).join(' UNION ')})`).pluck().get() as number;
  }
  if (!only || others.length === 0) return sets.ruleCount(target);
  return sets.ruleBits(target).andNot(sets.enabledBits(others)).count();
}

function ruleSources(db: Db, rules: readonly (RuleInput | RuleT)[], ruleId: string): { source: string | null; others: string[] } {
  const compiled = compileRules(db, rules);
  const target = compiled.find((c) => c.rule.id === ruleId);
  if (!target) return { source: null, others: [] };
  const others = compiled.filter((c) => c !== target && c.rule.enabled && c.source !== null).map((c) => c.source!);
  return { source: target.source, others };
}
