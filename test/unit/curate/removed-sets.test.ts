// Filter counts from cached bitsets and sorted signal values (removed-sets.ts) against brute-force SQL over
// generated data: every item tested against each rule's own predicate, through writes that must invalidate
// the caches (signal edits, new and deleted items, decisions by hand, duplicate groups, issues, and a write
// from a second connection, as another Winnow process would make).
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { RuleT } from '../../../main/domain/curation';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { ruleCount } from '../../../main/engine/curate/reasons';
import { compileRules } from '../../../main/engine/curate/rules';
import { saveBitsFile } from '../../../main/engine/curate/bits-file';
import { chunkedTally } from '../../../main/engine/curate/chunked-tally';
import { withExtra } from '../../../main/engine/curate/decided-tally';
import { Bits, catchUps, removedSets } from '../../../main/engine/curate/removed-sets';
import { filterCount } from '../../../main/engine/curate/selection';
import { type Db, openDatabase } from '../../../main/engine/store/database';
import { ManualStore } from '../../../main/engine/store/manual';
import { bruteForce } from '../../fixtures/filter-truth';
import { itemDb } from '../../fixtures/item-db';

const OPS = ['>', '>=', '<', '<='] as const;
const SIGNALS = ['s.a', 's.b', 's.c'];

function generator(seed: number) {
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return { random, pick: <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] };
}

function randomRules(g: ReturnType<typeof generator>): RuleT[] {
  const n = 1 + Math.floor(g.random() * 5);
  return Array.from({ length: n }, (_, k): RuleT => {
    const enabled = g.random() < 0.8;
    const roll = g.random();
    if (roll < 0.12) return { id: `r${k}`, kind: 'exact_dup', enabled };
    if (roll < 0.2) return { id: `r${k}`, kind: 'unreadable', enabled };
    const signal = g.pick(SIGNALS);
    const op = g.pick(OPS);
    // Thresholds on the grid of generated values (ties), between them, and outside the range.
    if (roll < 0.35) return { id: `r${k}`, kind: 'signal', enabled, signal, op, keepTop: Math.round(g.random() * 100) / 100 || 0.01 };
    const threshold = g.random() < 0.5 ? Math.round(g.random() * 20) / 10 - 0.5 : g.random() * 2 - 0.5;
    return { id: `r${k}`, kind: 'signal', enabled, signal, op, threshold };
  });
}

describe('filter counts from cached removed sets', () => {
  // Budget 0: no signal is kept sorted, so threshold rules take the SQL path (what a signal larger than the budget does).
  it.each([['sorted signals', undefined], ['no sorted signals (over the budget)', '0']])('equal brute-force SQL counts through writes that change what rules remove: %s', async (_, budget) => {
    if (budget === undefined) delete process.env.WINNOW_FILTER_CACHE_MB;
    else process.env.WINNOW_FILTER_CACHE_MB = budget;
    // Background reads in chunks of 7 rows: chunk edges fall inside runs of equal values.
    process.env.WINNOW_FILTER_CHUNK = '7';
    const { db, file, addItems } = await itemDb();
    const g = generator(17);
    const setSignal = db.prepare('INSERT INTO signals (item_id, name, value, run_id) VALUES (?, ?, ?, NULL) ON CONFLICT (item_id, name) DO UPDATE SET value = excluded.value');
    const writeSignals = (ids: number[]) => {
      for (const id of ids) for (const name of SIGNALS) if (g.random() < 0.85) setSignal.run(id, name, Math.round(g.random() * 10) / 10 + (g.random() < 0.2 ? g.random() / 100 : 0));
    };
    let ids = addItems(400);
    writeSignals(ids);
    const addDupGroups = (count: number) => {
      for (let k = 0; k < count; k++) {
        const members = [g.pick(ids), g.pick(ids), g.pick(ids)].filter((v, j, a) => a.indexOf(v) === j);
        const group = Number(db.prepare(`INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES ('exact', NULL, ?)`).run(members[0]).lastInsertRowid);
        for (const m of members) db.prepare('INSERT INTO dup_members (group_id, item_id) VALUES (?, ?)').run(group, m);
      }
    };
    addDupGroups(20);
    const addIssues = (count: number) => {
      for (let k = 0; k < count; k++) db.prepare(`INSERT INTO issues (severity, kind, message, item_id) VALUES ('error', ?, 'x', ?)`).run(g.pick(['decode_failed', 'io_error', 'other']), g.pick(ids));
    };
    addIssues(15);
    const manual = new ManualStore(db);

    let checks = 0;
    // No copies yet.
    const sets = removedSets(db);
    // Each state twice: right after the write (from sorted copies caught up with the rows the write changed, signal_log,
    // when `patched`; else by SQL while the copies are read again in the background), then from the copies.
    const check = async (patched = true) => {
      const all = compileRules(db, SIGNALS.map((signal, k): RuleT => ({ id: `all${k}`, kind: 'signal', enabled: true, signal, op: '>', threshold: 0 })));
      expect(sets.ready(all)).toBe(patched && budget === undefined);
      countAll();
      await sets.idle();
      expect(sets.ready(all)).toBe(budget === undefined);
      countAll();
      // A process opening the project now finds the sorted copies on disk (sorted-file.ts), ready at once.
      const reopened = openDatabase(file);
      expect(removedSets(reopened).ready(all)).toBe(budget === undefined);
      countAll(reopened);
      reopened.close();
    };
    const countAll = (conn: Db = db) => {
      for (let round = 0; round < 12; round++) {
        const rules = randomRules(g);
        const want = bruteForce(conn, rules);
        const got = evaluateRules(conn, rules);
        expect(got.total).toBe(want.total);
        expect(got.removed).toBe(want.evaluationRemoved);
        expect(got.rules.map((r) => ({ alone: r.removedAlone, cumulative: r.removedCumulative, withSignal: r.withSignal, threshold: r.threshold }))).toEqual(want.rules);
        expect(filterCount(conn, { rules, show: 'removed' })).toBe(want.decidedRemoved);
        expect(filterCount(conn, { rules, show: 'kept' })).toBe(want.total - want.decidedRemoved);
        const target = g.pick(rules);
        const compiled = compileRules(conn, rules);
        const c = compiled.find((r) => r.rule.id === target.id)!;
        const others = compiled.filter((r) => r !== c && r.rule.enabled).map((r) => `(${r.removes})`).join(' OR ') || '0';
        const count = (where: string) => conn.prepare(`SELECT count(*) FROM items i WHERE ${where}`).pluck().get() as number;
        expect(ruleCount(conn, rules, target.id, false)).toBe(count(c.removes));
        expect(ruleCount(conn, rules, target.id, true)).toBe(count(`(${c.removes}) AND NOT (${others})`));
        checks++;
      }
    };
    await check(false);
    // Edits of values already cached (same item set, new values).
    writeSignals(ids.filter(() => g.random() < 0.3));
    await check();
    manual.decide(ids.filter(() => g.random() < 0.05), 'keep', 'test', 'test');
    manual.decide(ids.filter(() => g.random() < 0.05), 'exclude', 'test', 'test');
    await check();
    ids = [...ids, ...addItems(150)];
    writeSignals(ids.slice(400));
    addDupGroups(10);
    addIssues(10);
    await check();
    const gone = ids.filter(() => g.random() < 0.1);
    db.prepare(`DELETE FROM items WHERE id IN (${gone.join(',')})`).run();
    ids = ids.filter((id) => !gone.includes(id));
    await check();
    db.prepare(`DELETE FROM signals WHERE name = 's.b' AND value > 0.5`).run();
    await check();
    // Another connection (another Winnow process) writes: the caches of this one must notice.
    const other = new Database(file);
    other.prepare(`UPDATE signals SET value = 1 - value WHERE name = 's.a'`).run();
    other.prepare(`UPDATE manual_decisions SET decision = CASE decision WHEN 'keep' THEN 'exclude' ELSE 'keep' END`).run();
    other.close();
    await check();
    // More changed rows than signal_log keeps (1,024 versions a signal): the copy of s.c is read again whole.
    // (one version per row an update keeps on its key: migration 31)
    for (let k = 0; k < 3; k++) db.prepare(`UPDATE signals SET value = value * 1 WHERE name = 's.c'`).run();
    await check(false);
    expect(checks).toBe(288);
    delete process.env.WINNOW_FILTER_CACHE_MB;
    delete process.env.WINNOW_FILTER_CHUNK;
  });

  it('a write rolled back inside a transaction leaves no cache behind that a later write could match', async () => {
    const { db, addItems } = await itemDb();
    const ids = addItems(10);
    for (const id of ids) db.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 's.a', 0)`).run(id);
    const rules: RuleT[] = [{ id: 'a', kind: 'signal', enabled: true, signal: 's.a', op: '>=', threshold: 0.5 }];
    expect(filterCount(db, { rules, show: 'removed' })).toBe(10);
    await removedSets(db).idle();
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(true);
    try {
      db.transaction(() => {
        db.prepare(`UPDATE signals SET value = 1 WHERE item_id <= ?`).run(ids[2]);
        expect(filterCount(db, { rules, show: 'removed' })).toBe(7);
        throw new Error('roll back');
      })();
    } catch { /* the rollback under test */ }
    expect(filterCount(db, { rules, show: 'removed' })).toBe(10);
    await removedSets(db).idle();
    // Same number of version bumps as the rolled-back write, different rows.
    db.prepare(`UPDATE signals SET value = 1 WHERE item_id >= ?`).run(ids[7]);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(7);
    await removedSets(db).idle();
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(true);
    expect(evaluateRules(db, rules).rules[0].removedAlone).toBe(7);
  });
});

describe('sorted copies on disk', () => {
  const rules: RuleT[] = [{ id: 'a', kind: 'signal', enabled: true, signal: 's:a', op: '>=', threshold: 0.5 }];
  /** A project whose signal `s:a` (a name with a character escaped in the file name) has `removed` of 60 items below 0.5. */
  async function project(removed: number) {
    const { db, file, addItems } = await itemDb();
    const ids = addItems(60);
    ids.forEach((id, k) => db.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 's:a', ?)`).run(id, k < removed ? k / 1000 : 0.5 + k / 1000));
    filterCount(db, { rules, show: 'removed' });
    await removedSets(db).idle();
    const copy = path.join(path.dirname(file), 'filter-cache', 's%3aa.sorted');
    expect(readdirSync(path.dirname(copy))).toEqual(['s%3aa.sorted']);
    return { db, file, ids, copy };
  }
  /** Counts through a new connection (another process opening the project): whether the copy was ready at once, and the count. */
  async function reopen(file: string) {
    const db = openDatabase(file);
    const ready = removedSets(db).ready(compileRules(db, rules));
    const removed = filterCount(db, { rules, show: 'removed' });
    expect(evaluateRules(db, rules).rules[0].removedAlone).toBe(removed);
    await removedSets(db).idle();
    db.close();
    return { ready, removed };
  }

  it('are read by the next process at the version they were written, caught up from signal_log after a write from another connection, and not when the log misses it', async () => {
    const { db, file, ids } = await project(20);
    expect(await reopen(file)).toEqual({ ready: true, removed: 20 });
    const other = openDatabase(file);
    other.prepare(`UPDATE signals SET value = 0 WHERE item_id = ?`).run(ids[40]);
    // The file is at the old version: a process opening now opens it at that version and catches it up from the log.
    const overlaid = catchUps.overlaid;
    expect(await reopen(file)).toEqual({ ready: true, removed: 21 });
    expect(catchUps.overlaid).toBe(overlaid + 1);
    // The log without the next write's versions: counted by SQL, then a new file is written.
    other.prepare(`UPDATE signals SET value = 0 WHERE item_id = ?`).run(ids[39]);
    other.prepare('DELETE FROM signal_log').run();
    expect(await reopen(file)).toEqual({ ready: false, removed: 22 });
    expect(await reopen(file)).toEqual({ ready: true, removed: 22 });
    // This connection's copy catches up from signal_log (the one row written), and saves its file.
    other.close();
    const another = openDatabase(file);
    another.prepare(`UPDATE signals SET value = 0 WHERE item_id = ?`).run(ids[41]);
    another.close();
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(true);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(23);
    await removedSets(db).idle();
    expect(await reopen(file)).toEqual({ ready: true, removed: 23 });
    db.close();
  });

  it('are not used after a rolled-back write followed by another write of as many rows', async () => {
    const { db, file, ids } = await project(10);
    try {
      db.transaction(() => {
        db.prepare(`UPDATE signals SET value = 0 WHERE item_id >= ?`).run(ids[50]);
        // Inside the transaction neither the file nor a copy read there is used (the write may be rolled back).
        expect(removedSets(db).ready(compileRules(db, rules))).toBe(false);
        expect(filterCount(db, { rules, show: 'removed' })).toBe(20);
        throw new Error('roll back');
      })();
    } catch { /* the rollback under test */ }
    expect(await reopen(file)).toEqual({ ready: true, removed: 10 });
    // As many rows again, other ones: the file is caught up from the log, which holds this write's rows only.
    db.prepare(`UPDATE signals SET value = 0 WHERE item_id >= ? AND item_id < ?`).run(ids[30], ids[40]);
    expect(await reopen(file)).toEqual({ ready: true, removed: 20 });
    expect(await reopen(file)).toEqual({ ready: true, removed: 20 });
    db.close();
  });

  it('are not caught up from signal_log when it misses a version (bumps from before migration 28)', async () => {
    const { db, ids } = await project(10);
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(true);
    db.prepare(`UPDATE signals SET value = 0 WHERE item_id = ?`).run(ids[40]);
    db.prepare(`UPDATE signals SET value = 0 WHERE item_id = ?`).run(ids[41]);
    // The first write's rows gone from the log, as for a write made before the log existed.
    db.prepare(`DELETE FROM signal_log WHERE version <= (SELECT version FROM change_versions WHERE key = 'signal:s:a') - 1`).run();
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(false);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(12);
    await removedSets(db).idle();
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(true);
    expect(evaluateRules(db, rules).rules[0].removedAlone).toBe(12);
    db.close();
  });

  it.each([
    ['truncated (a crash mid-write without the rename)', (buf: Buffer) => buf.subarray(0, buf.length - 5)],
    // Every value 0 would count all 60 items removed, were the file believed.
    ['with its values overwritten', (buf: Buffer) => Buffer.concat([buf.subarray(0, buf.length - 60 * 12), Buffer.alloc(60 * 8), buf.subarray(buf.length - 60 * 4)])],
    ['with another header', (buf: Buffer) => Buffer.concat([Buffer.from('WNSORT01\xff\xff\xff\xff', 'latin1'), buf.subarray(12)])],
    ['empty', () => Buffer.alloc(0)],
  ])('are rebuilt from SQL when the file is %s, never counted wrong', async (_, damage) => {
    const { db, file, copy } = await project(25);
    db.close();
    writeFileSync(copy, damage(readFileSync(copy)));
    expect(await reopen(file)).toEqual({ ready: false, removed: 25 });
    expect(await reopen(file)).toEqual({ ready: true, removed: 25 });
  });

  it('are neither read nor written with a zero budget', async () => {
    const { db, file, copy } = await project(30);
    db.close();
    process.env.WINNOW_FILTER_CACHE_MB = '0';
    try {
      rmSync(copy);
      expect(await reopen(file)).toEqual({ ready: false, removed: 30 });
      expect(existsSync(copy)).toBe(false);
      delete process.env.WINNOW_FILTER_CACHE_MB;
      expect(await reopen(file)).toEqual({ ready: false, removed: 30 });
      process.env.WINNOW_FILTER_CACHE_MB = '0';
      expect(await reopen(file)).toEqual({ ready: false, removed: 30 });
    } finally {
      delete process.env.WINNOW_FILTER_CACHE_MB;
    }
  });
});

describe('duplicate rule bitsets on disk', () => {
  const rules: RuleT[] = [{ id: 'dup', kind: 'exact_dup', enabled: true }];
  /** Removed by the duplicate rule, counted over every item with the rule's own predicate. */
  const bruteForce = (db: Db) => db.prepare(`SELECT count(*) FROM items i WHERE ${compileRules(db, rules)[0].removes}`).pluck().get() as number;
  const reopen = (file: string) => {
    const db = openDatabase(file);
    const counts = { count: filterCount(db, { rules, show: 'removed' }), evaluated: evaluateRules(db, rules).removed, want: bruteForce(db) };
    db.close();
    return counts;
  };

  it('are read by the next process at the versions they were written, never after a write or when damaged', async () => {
    const { db, file, addItems } = await itemDb();
    // 5,000 groups of two (over the rows from which a source is saved), keeper the first of each.
    const ids = addItems(10_000);
    db.transaction(() => {
      for (let k = 0; k < ids.length; k += 2) {
        const group = Number(db.prepare(`INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES ('exact', NULL, ?)`).run(ids[k]).lastInsertRowid);
        for (const m of [ids[k], ids[k + 1]]) db.prepare('INSERT INTO dup_members (group_id, item_id) VALUES (?, ?)').run(group, m);
      }
    })();
    expect(filterCount(db, { rules, show: 'removed' })).toBe(5000);
    const dir = path.join(path.dirname(file), 'filter-cache');
    const saved = readdirSync(dir).filter((f) => f.endsWith('.bits'));
    expect(saved.length).toBe(1);
    const bits = path.join(dir, saved[0]);
    // The file is what the next process counts from: one naming 2 removed items at the current versions counts 2.
    const good = readFileSync(bits);
    const source = compileRules(db, rules)[0].source!;
    const version = ['dup_groups', 'dup_members'].map((t) => db.prepare('SELECT version FROM change_versions WHERE key = ?').pluck().get(`table:${t}`)).join(',');
    saveBitsFile(dir, source, version, Bits.fromIds([ids[1], ids[3]]).words, 2);
    expect(reopen(file)).toEqual({ count: 2, evaluated: 2, want: 5000 });
    writeFileSync(bits, good);
    expect(reopen(file)).toEqual({ count: 5000, evaluated: 5000, want: 5000 });
    // A write from another connection: the file is stale, SQL counts and a new file is written.
    const other = new Database(file);
    other.prepare(`UPDATE dup_groups SET keeper_id = (SELECT max(item_id) FROM dup_members WHERE group_id = dup_groups.id) WHERE id % 3 = 0`).run();
    other.prepare(`DELETE FROM dup_members WHERE group_id % 7 = 0 AND item_id = (SELECT keeper_id FROM dup_groups WHERE id = group_id)`).run();
    other.close();
    const afterWrite = reopen(file);
    expect(afterWrite.count).toBe(afterWrite.want);
    expect(afterWrite.evaluated).toBe(afterWrite.want);
    expect(readFileSync(bits).equals(good)).toBe(false);
    // A rolled-back write inside a transaction writes no file.
    const rewritten = readFileSync(bits);
    try {
      db.transaction(() => {
        db.prepare(`DELETE FROM dup_members WHERE group_id % 2 = 0`).run();
        expect(filterCount(db, { rules, show: 'removed' })).toBe(bruteForce(db));
        throw new Error('roll back');
      })();
    } catch { /* the rollback under test */ }
    expect(readFileSync(bits).equals(rewritten)).toBe(true);
    expect(reopen(file)).toEqual(afterWrite);
    // Damaged in its words or header (its count of bits too, which a count would use), or another source's file
    // under this name: a miss, never a wrong count.
    const words = rewritten.length - Math.ceil((ids.at(-1)! + 1) / 32) * 4;
    const header = rewritten.toString('latin1');
    const otherCount = header.replace(/"count":(\d+)/, (_, c: string) => `"count":${c.slice(0, -1)}${(Number(c.at(-1)) + 1) % 10}`);
    expect(otherCount).not.toBe(header);
    for (const damaged of [Buffer.concat([rewritten.subarray(0, words), Buffer.alloc(rewritten.length - words)]), rewritten.subarray(0, rewritten.length - 4), Buffer.from(header.replace('dup_members', 'dup_membert'), 'latin1'), Buffer.from(otherCount, 'latin1')]) {
      writeFileSync(bits, damaged);
      expect(reopen(file)).toEqual(afterWrite);
    }
    db.close();
  });
});

describe('bitsets', () => {
  it('size to the largest id, and an empty set has no words', () => {
    expect(Bits.fromIds([]).words.length).toBe(0);
    expect(Bits.fromIds([5, 9, 70], 1, 1).words.length).toBe(0);
    const bits = Bits.fromIds([70, 3, 64, 31]);
    expect(bits.words.length).toBe(3);
    expect(bits.ids()).toEqual([3, 31, 64, 70]);
    expect(bits.count()).toBe(4);
    expect(bits.andNot(Bits.fromIds([64])).or(Bits.fromIds([100])).ids()).toEqual([3, 31, 70, 100]);
  });

  it('tally each set, what it adds to those before it, and their union as id sets do', () => {
    const g = generator(3);
    for (let round = 0; round < 20; round++) {
      // Sets of different lengths (words past a shorter set's end), some empty, dense and sparse.
      const sets = Array.from({ length: 1 + Math.floor(g.random() * 5) }, () => {
        const max = Math.floor(g.random() * 300);
        const density = g.random();
        return [...Array(max).keys()].filter(() => g.random() < density);
      });
      const seen = new Set<number>();
      const want = { alone: sets.map((s) => s.length), cumulative: sets.map((s) => s.filter((id) => !seen.has(id) && seen.add(id)).length), union: 0 };
      want.union = seen.size;
      expect(chunkedTally(sets.map((ids) => Bits.fromIds(ids)))).toEqual(want);
      // The same counts from the first sets' tally and the others' ids looked up in their union (decided-tally.ts).
      const split = Math.floor(g.random() * (sets.length + 1));
      const rules = sets.slice(0, split).map((ids) => Bits.fromIds(ids));
      const union = new Set(sets.slice(0, split).flat());
      expect(withExtra(chunkedTally(rules)!, (id) => union.has(id), sets.slice(split).map((ids) => Bits.fromIds(ids)))).toEqual(want);
    }
  });
});
