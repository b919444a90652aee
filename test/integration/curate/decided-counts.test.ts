// Counts with decisions by hand after a click (decided-tally.ts): the rules' own tally is kept from the recount before,
// and each decided item is asked whether a rule removes it (its bits, or its value read by primary key for a threshold
// rule streamed from its copy's file). Every change that can alter what the rules remove must reach those counts: rule
// edits, signal writes (from this connection and another, overlaid from signal_log), copies read again, duplicate groups,
// issues, items added and deleted. Each state is compared with brute-force SQL over every item (test/fixtures/filter-truth.ts).
// Files are written in blocks of 16 items, so 400 items make streamed ranges.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuleT } from '../../../main/domain/curation';
import { cutover } from '../../../main/engine/curate/decided-tally';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { catchUps, lookedUpTallies, removedSets, streamedTallies } from '../../../main/engine/curate/removed-sets';
import { compileRules } from '../../../main/engine/curate/rules';
import { filterCount } from '../../../main/engine/curate/selection';
import { type Db, openDatabase } from '../../../main/engine/store/database';
import { ItemStore } from '../../../main/engine/store/items';
import { ManualStore } from '../../../main/engine/store/manual';
import { bruteForce, projectWithCopies } from '../../fixtures/filter-truth';

const N = 400;
const RULES: RuleT[] = [
  { id: 'a', kind: 'signal', enabled: true, signal: 's.a', op: '>=', threshold: 0.3 },
  { id: 'b', kind: 'signal', enabled: true, signal: 's:b', op: '<', threshold: 0.8 },
  { id: 'dup', kind: 'exact_dup', enabled: true },
  { id: 'unreadable', kind: 'unreadable', enabled: true },
];

/** A project whose two signals have sorted copies on disk (a first session wrote them), with duplicate groups and issues. */
async function project() {
  const { file, ids } = await projectWithCopies(N, RULES, (db, ids, k) => {
    if (k % 40 === 1) addDupGroup(db, [ids[k - 1], ids[k]]);
    if (k % 50 === 7) db.prepare(`INSERT INTO issues (severity, kind, message, item_id) VALUES ('error', 'decode_failed', 'x', ?)`).run(ids[k]);
  });
  // Another process opening the project: its copies are read from their files, streamed to the tallies.
  return { db: openDatabase(file), file, ids };
}

function addDupGroup(db: Db, members: number[]): void {
  const group = Number(db.prepare(`INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES ('exact', NULL, ?)`).run(members[0]).lastInsertRowid);
  for (const m of members) db.prepare('INSERT INTO dup_members (group_id, item_id) VALUES (?, ?)').run(group, m);
}

/** Whether a recount (items.count's and selection.evaluate's counts) equals brute-force SQL, and which path counted it. */
function recount(db: Db, rules: RuleT[] = RULES) {
  const [looked, streamed] = [lookedUpTallies.counted, streamedTallies.counted];
  const want = bruteForce(db, rules);
  const removed = filterCount(db, { rules, show: 'removed' });
  const evaluation = evaluateRules(db, rules);
  expect(removed).toBe(want.decidedRemoved);
  expect(filterCount(db, { rules, show: 'kept' })).toBe(want.total - want.decidedRemoved);
  expect(evaluation.removed).toBe(want.evaluationRemoved);
  expect(evaluation.manual ?? { rescued: 0, added: 0 }).toMatchObject({ rescued: want.rescued, added: want.added });
  expect(evaluation.rules.map((r) => [r.removedAlone, r.removedCumulative])).toEqual(want.rules.map((r) => [r.alone, r.cumulative]));
  return { lookedUp: lookedUpTallies.counted - looked, streamed: streamedTallies.counted - streamed };
}

/** The first `n` undecided items (after `skip`) that an enabled rule removes (`removed`) or that every rule keeps, by the rules' SQL. */
function pick(db: Db, rules: RuleT[], removed: boolean, n: number, skip = 0): number[] {
  const where = compileRules(db, rules).filter((c) => c.rule.enabled).map((c) => `(${c.removes})`).join(' OR ') || '0';
  return db.prepare(`SELECT id FROM items i WHERE ${removed ? '' : 'NOT '}(${where}) AND id NOT IN (SELECT item_id FROM manual_decisions) ORDER BY id LIMIT ? OFFSET ?`).pluck().all(n, skip) as number[];
}

beforeEach(() => {
  process.env.WINNOW_FILTER_BLOCK = '16';
});

afterEach(() => {
  delete process.env.WINNOW_FILTER_BLOCK;
  cutover.forced = null;
});

describe('counts after decisions by hand', () => {
  it('look the decided items up against the rules\' kept tally, through every change that alters what the rules remove', async () => {
    // Forced: past ~50 decided items a streamed tally of 400 items is cheaper (the cut-over is tested below).
    cutover.forced = true;
    const { db, file, ids } = await project();
    const manual = new ManualStore(db);
    const decide = (list: number[], decision: 'keep' | 'exclude' | null) => manual.decide(list, decision, 'test', 'test');
    // The rules' own tally, streamed from the copies' files.
    expect(recount(db)).toMatchObject({ lookedUp: 0, streamed: 1 });
    // Excluded by hand: items the rules remove and items they keep; kept by hand: items the rules remove.
    decide([...pick(db, RULES, true, 3), ...pick(db, RULES, false, 4)], 'exclude');
    decide(pick(db, RULES, true, 5, 3), 'keep');
    // Nothing streamed: the rules' tally is the one kept.
    expect(recount(db)).toEqual({ lookedUp: 1, streamed: 0 });
    // Click after click (more than the tallies kept): each first recount starts from the same kept rules' tally.
    for (let k = 0; k < 6; k++) {
      decide(pick(db, RULES, k % 2 === 0, 1, 10), k % 3 === 0 ? 'keep' : 'exclude');
      expect(recount(db)).toEqual({ lookedUp: 1, streamed: 0 });
    }

    // A rule edited: a new threshold moves decided items across it.
    const edited = RULES.map((r) => (r.id === 'a' ? { ...r, threshold: 0.6 } : r));
    expect(recount(db, edited)).toMatchObject({ lookedUp: 1 });
    // A rule disabled, and one only.
    expect(recount(db, RULES.map((r) => (r.id === 'b' ? { ...r, enabled: false } : r)))).toMatchObject({ lookedUp: 1 });
    expect(recount(db, [RULES[0]])).toMatchObject({ lookedUp: 1 });

    // Signal writes on decided items, across the threshold both ways: the copy is overlaid with them (signal_log).
    const decided = db.prepare('SELECT item_id FROM manual_decisions ORDER BY item_id').pluck().all() as number[];
    const setA = db.prepare(`UPDATE signals SET value = ? WHERE name = 's.a' AND item_id = ?`);
    const overlaid = catchUps.overlaid;
    decided.forEach((id, k) => setA.run(k % 2 === 0 ? 0.01 : 0.99, id));
    expect(recount(db)).toMatchObject({ lookedUp: 1 });
    expect(catchUps.overlaid).toBeGreaterThan(overlaid);
    // Two values swapped across a's threshold, one of an item kept by hand that only a removes: a's range keeps its
    // positions and count, its set changes (a tally kept for the copy before would still count the item rescued).
    const [ruleA, ...others] = compileRules(db, RULES);
    const onlyA = `${ruleA.removes} AND NOT (${others.map((c) => `(${c.removes})`).join(' OR ')}) AND i.id NOT IN (SELECT item_id FROM manual_decisions)`;
    const x = db.prepare(`SELECT id FROM items i WHERE ${onlyA} LIMIT 1`).pluck().get() as number;
    const y = db.prepare(`SELECT id FROM items i WHERE NOT ${ruleA.removes} AND i.id IN (SELECT item_id FROM signals WHERE name = 's.a') AND i.id NOT IN (SELECT item_id FROM manual_decisions) LIMIT 1`).pluck().get() as number;
    decide([x], 'keep');
    recount(db);
    const valueOf = db.prepare(`SELECT value FROM signals WHERE name = 's.a' AND item_id = ?`).pluck();
    const [vx, vy] = [valueOf.get(x) as number, valueOf.get(y) as number];
    db.transaction(() => [setA.run(vy, x), setA.run(vx, y)])();
    expect(recount(db)).toMatchObject({ lookedUp: 1 });
    // A signal deleted for a decided item (the rule no longer judges it), from another connection.
    const other = openDatabase(file);
    other.prepare(`DELETE FROM signals WHERE name = 's:b' AND item_id IN (${decided.slice(0, 4).join(',')})`).run();
    other.prepare(`UPDATE signals SET value = 0.9 WHERE name = 's:b' AND item_id = ?`).run(decided[5]);
    expect(recount(db)).toMatchObject({ lookedUp: 1 });

    // A duplicate group making decided items non-keepers, and issues making them unreadable.
    addDupGroup(db, [ids[399], decided[6], decided[7]]);
    expect(recount(db)).toMatchObject({ lookedUp: 1 });
    db.prepare(`INSERT INTO issues (severity, kind, message, item_id) VALUES ('error', 'io_error', 'x', ?)`).run(decided[8]);
    expect(recount(db)).toMatchObject({ lookedUp: 1 });

    // Items added (with signals that the rules remove, decided by hand) and decided items deleted.
    const source = db.prepare('SELECT id FROM sources').pluck().get() as number;
    const added = [0, 1, 2].map((k) => new ItemStore(db).insert(source, { key: `new${k}`, uri: `/d/new${k}.jpg`, format: 'jpg', width: 10, height: 10, bytes: 1, sha256: `new${k}`, caption: null, captionOrigin: null, extra: null })!);
    for (const id of added) db.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 's.a', 0)`).run(id);
    decide(added.slice(0, 2), 'exclude');
    decide(added.slice(2), 'keep');
    expect(recount(db)).toMatchObject({ lookedUp: 1 });
    db.prepare(`DELETE FROM items WHERE id IN (${[decided[0], decided[1], decided[9]].join(',')})`).run();
    expect(recount(db)).toMatchObject({ lookedUp: 1 });

    // More rows written than signal_log keeps: the copy of s.a is read again (SQL meanwhile), then held as arrays, whose
    // range's bits answer for the decided items.
    for (let k = 0; k < 3; k++) other.prepare(`UPDATE signals SET value = value * 1 WHERE name = 's.a'`).run();
    other.close();
    recount(db);
    await removedSets(db).idle();
    expect(recount(db)).toMatchObject({ lookedUp: 1 });
    decide(pick(db, RULES, true, 2, 20), 'exclude');
    expect(recount(db)).toMatchObject({ lookedUp: 1 });
    db.close();
  });

  it('stream the decided sets with the rules past the cut-over, as the lookups would count them', async () => {
    const { db } = await project();
    const manual = new ManualStore(db);
    recount(db);
    // 4 decided items × (2 signals × 600 words a lookup + a bit test) ≤ 60,000 words to set a streamed tally up + 6 sets × 13 words.
    manual.decide(pick(db, RULES, true, 2), 'exclude', 'test', 'test');
    manual.decide(pick(db, RULES, true, 2, 2), 'keep', 'test', 'test');
    expect(recount(db)).toEqual({ lookedUp: 1, streamed: 0 });
    // 64: past it, streamed with the rules.
    manual.decide(pick(db, RULES, true, 30, 4), 'exclude', 'test', 'test');
    manual.decide(pick(db, RULES, false, 30), 'keep', 'test', 'test');
    expect(recount(db)).toEqual({ lookedUp: 0, streamed: 1 });
    // One more decision each time, looked up (forced), then streamed (forced): both equal brute-force SQL.
    manual.decide(pick(db, RULES, false, 1, 40), 'exclude', 'test', 'test');
    cutover.forced = true;
    expect(recount(db)).toEqual({ lookedUp: 1, streamed: 0 });
    manual.decide(pick(db, RULES, true, 1, 40), 'keep', 'test', 'test');
    cutover.forced = false;
    expect(recount(db)).toEqual({ lookedUp: 0, streamed: 1 });
    db.close();
  });
});
