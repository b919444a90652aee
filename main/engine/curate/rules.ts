// Rules → SQL. Every rule compiles to one predicate "this rule removes item i.id" over the signals
// table (duplicate groups for duplicate rules, issues for unreadable files). Predicates use `i.id IN (SELECT item_id FROM signals WHERE
// name = 'n' AND value <op> t)`: SQLite runs each subquery once against the (name, value) index, so a
// rule list costs one pass over items whatever its length. An item without the signal is not in the
// subquery, so a rule never removes what it cannot judge (missing signal = rule does not apply).
import { ApiError } from '../../domain/errors';
import { type RuleInput, type RuleT, Rule, SIGNAL_NAME_RE } from '../../domain/curation';
import type { Db } from '../store/database';
import { DupGroupStore, type DupKind } from '../store/dup-groups';
import { SIGNAL } from './signals';
import { MANUAL_EXCLUDED, MANUAL_KEPT } from '../store/manual';
import { type Bits, orderLength, removedSets, valueAt } from './removed-sets';

/** Duplicate rules read the duplicate groups (dup-groups.ts): they remove every member but the keeper. */
export const DUP_RULE_KIND: Partial<Record<RuleT['kind'], DupKind>> = { exact_dup: 'exact', near_dup: 'phash', semantic_dup: 'semantic' };

type Op = NonNullable<RuleT['op']>;

/** Issue kinds that make the unreadable rule remove an item. */
export const UNREADABLE_KINDS = ['decode_failed', 'unreadable', 'io_error'] as const;

/** Which signal and keep-condition each kind means when the rule does not say (DataComp basic filter + pixel checks). */
export const KIND_DEFAULTS: Record<RuleT['kind'], { signal?: string; op?: Op; threshold?: number; label: string }> = {
  caption_words: { signal: SIGNAL.captionWords, op: '>', threshold: 2, label: 'Caption has more than 2 words' },
  caption_chars: { signal: SIGNAL.captionChars, op: '>', threshold: 5, label: 'Caption has more than 5 characters' },
  min_side: { signal: SIGNAL.minSide, op: '>=', threshold: 200, label: 'Shortest side at least 200 px' },
  aspect: { signal: SIGNAL.aspect, op: '<=', threshold: 3, label: 'Aspect ratio at most 3' },
  unreadable: { label: 'Image decodes' },
  exact_dup: { label: 'Not an exact duplicate' },
  near_dup: { label: 'Not a perceptual duplicate' },
  semantic_dup: { label: 'Not a semantic near-duplicate' },
  // Thresholds measured on the synthetic dirty datasets (see test/integration/curate-stats.test.ts).
  // Blur uses edge width (image.edge_width, Marziliano), not the raw Laplacian variance (image.sharpness),
  // which also drops for sharp but plain images, nor the re-blur metric (image.blur), which JPEG blocks
  // fool. Measured on four 400-item synthetic datasets: blurred (σ 4-8) edges 6-21 px except one per set
  // at 2-3 px (a weak object under JPEG blocks); every other item 4-7 px, almost all ≤ 6.
  blurry: { signal: SIGNAL.edgeWidth, op: '<=', threshold: 6, label: 'Not blurred' },
  // Dark scenes (gain 0.08-0.2) measured ≤ 44 mean grey; every other item ≥ 49.
  dark: { signal: SIGNAL.brightness, op: '>=', threshold: 45, label: 'Not too dark' },
  bright: { signal: SIGNAL.brightness, op: '<=', threshold: 235, label: 'Not too bright' },
  low_info: { signal: SIGNAL.entropy, op: '>=', threshold: 1, label: 'Enough information' },
  signal: { label: 'Signal' },
};

/** The default rule list a new Filters panel starts from. */
export function defaultRules(): RuleT[] {
  const on = ['caption_words', 'caption_chars', 'min_side', 'aspect', 'unreadable', 'exact_dup', 'near_dup', 'semantic_dup', 'blurry', 'dark'] as const;
  const off = ['bright', 'low_info'] as const;
  return [...on.map((kind) => ({ kind, enabled: true })), ...off.map((kind) => ({ kind, enabled: false }))].map(({ kind, enabled }) => {
    const d = KIND_DEFAULTS[kind];
    return { id: kind, kind, enabled, ...(d.signal && { signal: d.signal }), ...(d.op && { op: d.op }), ...(d.threshold !== undefined && { threshold: d.threshold }), label: d.label };
  });
}

/** A rule with its kind's defaults filled in. */
export function normalizeRule(input: RuleInput | RuleT): RuleT {
  const rule = Rule.parse(input);
  const d = KIND_DEFAULTS[rule.kind];
  return { ...rule, signal: rule.signal ?? d.signal, op: rule.op ?? d.op, threshold: rule.threshold ?? d.threshold, label: rule.label ?? d.label };
}

export interface CompiledRule {
  rule: RuleT;
  /** SQL boolean over alias `i` (items): true when the rule removes the item. */
  removes: string;
  /** Threshold actually used (keepTop resolved), or null for existence rules. */
  threshold: number | null;
  signal: string | null;
  /** A SELECT of the distinct item ids the rule removes (null: none). Unions of these build selections. */
  source: string | null;
  /** A threshold rule: the keep-condition on its signal (counts read it from the signal's sorted values, removed-sets.ts). */
  range?: { signal: string; keepOp: Op; threshold: number };
  /** The tables `source` reads, whose change invalidates a cached result of it (change_versions, migration 26). */
  tables: readonly string[];
}

const compiled = (rule: RuleT, signal: string | null, threshold: number | null, source: string | null, tables: readonly string[] = [], range?: CompiledRule['range']): CompiledRule =>
  ({ rule, signal, threshold, source, removes: source === null ? '0' : `i.id IN (${source})`, tables, ...(range && { range }) });

// Removing = failing the keep condition, so each keep-op maps to its complement.
const COMPLEMENT: Record<Op, string> = { '>': '<=', '>=': '<', '<': '>=', '<=': '>' };

/** A SQL string literal; names are also restricted to SIGNAL_NAME_RE before they get here. */
const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** SQL over `issues` true for an issue of UNREADABLE_KINDS (the unreadable rule, and what an export leaves out). */
export const UNREADABLE_ISSUE = `kind IN (${UNREADABLE_KINDS.map(lit).join(', ')})`;
const num = (n: number): string => {
  if (!Number.isFinite(n)) throw new ApiError('bad_input', `threshold must be a finite number, got ${n}`);
  return String(n);
};

/** The value at the (1 - keepTop) quantile, so `>= value` keeps the top fraction (ties may keep a few more). */
function quantileThreshold(db: Db, signal: string, keepTop: number, op: Op): number | null {
  const order = removedSets(db).signalOrder(signal);
  const n = order ? orderLength(order) : (db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck().get(signal) as number);
  if (n === 0) return null;
  const keep = Math.max(1, Math.round(keepTop * n));
  // For ">"-style rules the top is the largest values; for "<"-style the smallest.
  const smallest = op === '<' || op === '<=';
  const value = order && valueAt(order, smallest ? keep - 1 : n - keep);
  if (value !== null && value !== undefined) return value;
  return db.prepare(`SELECT value FROM signals WHERE name = ? ORDER BY value ${smallest ? 'ASC' : 'DESC'} LIMIT 1 OFFSET ?`).pluck().get(signal, keep - 1) as number;
}

export function compileRule(db: Db, input: RuleInput | RuleT): CompiledRule {
  const rule = normalizeRule(input);
  if (rule.kind === 'unreadable') {
    return compiled(rule, null, null, `SELECT DISTINCT item_id FROM issues WHERE item_id IS NOT NULL AND ${UNREADABLE_ISSUE}`, ['issues']);
  }
  const dup = DUP_RULE_KIND[rule.kind];
  if (dup) return compiled(rule, null, null, DupGroupStore.removedSource(dup), ['dup_groups', 'dup_members']);
  const signal = rule.signal;
  if (!signal || !SIGNAL_NAME_RE.test(signal)) throw new ApiError('bad_input', `rule ${rule.id}: a ${rule.kind} rule needs a signal name`);
  const op = rule.op ?? '>=';
  const threshold = rule.keepTop !== undefined ? quantileThreshold(db, signal, rule.keepTop, op) : rule.threshold ?? null;
  if (rule.keepTop !== undefined && threshold === null) return compiled(rule, signal, null, null);
  if (threshold === null) throw new ApiError('bad_input', `rule ${rule.id}: needs a threshold or keepTop`);
  // keepTop is a keep-condition too: ">= quantile" (or "<=" for smallest-first rules).
  const keepOp: Op = rule.keepTop !== undefined ? (op === '<' || op === '<=' ? '<=' : '>=') : op;
  return compiled(rule, signal, threshold, `SELECT item_id FROM signals WHERE name = ${lit(signal)} AND value ${COMPLEMENT[keepOp]} ${num(threshold)}`, [], { signal, keepOp, threshold });
}

/** Compiles a rule list; only enabled rules take part in the selection. */
export function compileRules(db: Db, rules: readonly (RuleInput | RuleT)[]): CompiledRule[] {
  const ids = new Set<string>();
  return rules.map((r) => {
    const c = compileRule(db, r);
    if (ids.has(c.rule.id)) throw new ApiError('bad_input', `two rules share the id ${c.rule.id}`);
    ids.add(c.rule.id);
    return c;
  });
}

/**
 * How many items the enabled rules remove: the union of their removed sets as bitsets (removed-sets.ts), so a
 * threshold rule costs a binary search in its signal's sorted values, not a pass over the rows it removes.
 * Until those sorted copies are read (in the background), SQL counts the union.
 */
export function removedCount(db: Db, list: readonly CompiledRule[]): number {
  const enabled = list.filter((c) => c.rule.enabled && c.source !== null);
  const sets = removedSets(db);
  if (!sets.ready(enabled)) return enabled.length === 0 ? 0 : db.prepare(`SELECT count(*) FROM (${enabled.map((c) => c.source!).join(' UNION ')})`).pluck().get() as number;
  return enabled.length === 1 ? sets.ruleCount(enabled[0]) : sets.tally(enabled).union;
}

/**
 * SQL over alias `i`: true when any enabled rule removes the item. One IN over the UNION of the rules'
 * sources: SQLite builds the removed set once per statement, then each item costs one lookup whatever
 * the number of rules (instead of one per rule).
 */
export function removedPredicate(list: readonly CompiledRule[], column = 'i.id'): string {
  const sources = list.filter((c) => c.rule.enabled && c.source !== null).map((c) => c.source!);
  return sources.length === 0 ? '0' : `(${column} IN (${sources.join(' UNION ')}))`;
}

/**
 * What the curator decided: the enabled rules' removals plus items excluded by hand, minus items kept by
 * hand (a decision by hand overrides every rule). The grid, counts, snapshots and export use these.
 */
export function decidedRemovedPredicate(list: readonly CompiledRule[], column = 'i.id'): string {
  const sources = [...list.filter((c) => c.rule.enabled && c.source !== null).map((c) => c.source!), MANUAL_EXCLUDED];
  return `(${column} IN (${sources.join(' UNION ')}) AND ${column} NOT IN (${MANUAL_KEPT}))`;
}

/** Items removed after decisions by hand: (rules' union ∪ excluded by hand) minus kept by hand, as bitsets (or SQL until ready). */
export function decidedRemovedCount(db: Db, list: readonly CompiledRule[]): number {
  const sets = removedSets(db);
  const [kept, excluded] = [sets.manualKept(), sets.manualExcluded()];
  if (kept.count() === 0 && excluded.count() === 0) return removedCount(db, list);
  if (!sets.ready(list.filter((c) => c.rule.enabled))) {
    const sources = [...list.filter((c) => c.rule.enabled && c.source !== null).map((c) => c.source!), MANUAL_EXCLUDED];
    return db.prepare(`SELECT count(*) FROM (${sources.join(' UNION ')} EXCEPT ${MANUAL_KEPT})`).pluck().get() as number;
  }
  // |(U ∪ E) \ K| = |U| + |E \ U| − |K ∩ U|, U the rules' union, K and E disjoint (one decision an item). One tally of the
  // rules, then E, then K gives them all (decidedCounts), with each threshold rule's range streamed from its copy's file:
  // building each rule's 125 KB bitset for this cost ~4 ms at 1M items after the first decision. After a click, the
  // rules' part is the tally kept from the recount before, and E and K are looked up item by item (decided-tally.ts).
  const { union, excludedAdded, keptAdded } = decidedCounts(sets, list.filter((c) => c.rule.enabled && c.source !== null), excluded, kept);
  return union + excludedAdded - (kept.count() - keptAdded);
}

/**
 * The rules' union size, and what the items excluded and kept by hand each add to it (|E \ U|, |K \ U|, as K and E are
 * disjoint), from one tally (cached: a recount's count and evaluation ask for the same).
 */
function decidedCounts(sets: ReturnType<typeof removedSets>, rules: readonly CompiledRule[], excluded: Bits, kept: Bits): { union: number; excludedAdded: number; keptAdded: number } {
  const { cumulative } = sets.tally(rules, [excluded, kept]);
  const n = rules.length;
  return { union: cumulative.slice(0, n).reduce((a, b) => a + b, 0), excludedAdded: cumulative[n], keptAdded: cumulative[n + 1] };
}

/** How decisions by hand move an evaluation: kept by hand although a rule removes them, excluded by hand although every rule keeps them. */
export function manualEffect(db: Db, list: readonly CompiledRule[]): { rescued: number; added: number; kept: number; excluded: number } {
  const sets = removedSets(db);
  const kept = sets.manualKept();
  const excluded = sets.manualExcluded();
  const keptCount = kept.count();
  const excludedCount = excluded.count();
  if (keptCount === 0 && excludedCount === 0) return { rescued: 0, added: 0, kept: 0, excluded: 0 };
  const enabled = list.filter((c) => c.rule.enabled && c.source !== null);
  if (sets.ready(enabled)) {
    const { excludedAdded, keptAdded } = decidedCounts(sets, enabled, excluded, kept);
    return { rescued: keptCount - keptAdded, added: excludedAdded, kept: keptCount, excluded: excludedCount };
  }
  // Until the sorted copies are ready, only the hand-decided items are asked about, by id.
  const removed = (ids: Bits) => {
    if (enabled.length === 0) return 0;
    const inRemoved = db.prepare(`SELECT count(*) FROM (${enabled.map((c) => c.source!).join(' UNION ')}) WHERE item_id IN (SELECT value FROM json_each(?))`).pluck();
    return inRemoved.get(JSON.stringify(ids.ids())) as number;
  };
  const rescued = removed(kept);
  return { rescued, added: excludedCount - removed(excluded), kept: keptCount, excluded: excludedCount };
}
