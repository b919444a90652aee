// A sorted copy caught up with a small write by overlaying the changed items (signal-overlay.ts, removed-sets.ts
// `patch`, signal_log.old_value from migration 30, the rows a REPLACE deletes logged by migration 31) against
// brute-force SQL: after random sequences of writes of every kind (updates, deletes, inserts of new items' values,
// INSERT OR REPLACE and INSERT OR IGNORE onto existing rows, a row moved to another item, items deleted, writes from
// another connection, rolled-back transactions), every threshold rule's count and removed ids, every keep-top
// quantile and the signal's item count equal what SQL computes over every row, and every write was overlaid (never a
// copy read whole). The copy overlaid is opened on its file and read block by block (blocks of 16 items), so the
// test also sees that an overlaid catch-up does not read the copy whole.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RuleT } from '../../../main/domain/curation';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { catchUps, removedSets } from '../../../main/engine/curate/removed-sets';
import { compileRules } from '../../../main/engine/curate/rules';
import { filterCount } from '../../../main/engine/curate/selection';
import { Overlaid } from '../../../main/engine/curate/signal-overlay';
import { type Db, openDatabase } from '../../../main/engine/store/database';
import { tempDir } from '../../fixtures/images';
import { databaseAt } from '../../fixtures/upgrade/schema-at';
import { itemDb } from '../../fixtures/item-db';

const OPS = ['>', '>=', '<', '<='] as const;
const N = 300;

function generator(seed: number) {
  let state = seed;
  const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
  return { random, pick: <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] };
}

/** Values on a coarse grid (ties across many items, and at thresholds) with a few off it. */
const value = (g: ReturnType<typeof generator>) => Math.round(g.random() * 20) / 20 + (g.random() < 0.1 ? g.random() / 1000 : 0);

/** Every threshold rule's removed ids, count, keep-top threshold and the signal's count, from the caches and from SQL. */
function compare(db: Db, g: ReturnType<typeof generator>) {
  const sets = removedSets(db);
  const thresholds = [-1, 0, 0.05, 0.5, 0.5005, 0.95, 1, 2, ...Array.from({ length: 4 }, () => value(g))];
  for (const t of thresholds) {
    for (const op of OPS) {
      const rule: RuleT = { id: 'r', kind: 'signal', enabled: true, signal: 's.a', op, threshold: t };
      const [c] = compileRules(db, [rule]);
      const want = db.prepare(`SELECT i.id FROM items i WHERE ${c.removes} ORDER BY i.id`).pluck().all() as number[];
      expect(sets.ruleBits(c).ids()).toEqual(want);
      expect(sets.ruleCount(c)).toBe(want.length);
      expect(filterCount(db, { rules: [rule], show: 'removed' })).toBe(want.length);
    }
  }
  const n = db.prepare(`SELECT count(*) FROM signals WHERE name = 's.a'`).pluck().get() as number;
  expect(sets.signalCount('s.a')).toBe(n);
  for (const keepTop of [0.01, 0.1, 0.33, 0.5, 0.9, 1]) {
    for (const op of OPS) {
      const rules: RuleT[] = [{ id: 'q', kind: 'signal', enabled: true, signal: 's.a', op, keepTop }];
      // The quantile as SQL reads it (rules.ts before the sorted copies): ORDER BY value with an OFFSET.
      const keep = Math.max(1, Math.round(keepTop * n));
      const want = n === 0 ? null : db.prepare(`SELECT value FROM signals WHERE name = 's.a' ORDER BY value ${op === '<' || op === '<=' ? 'ASC' : 'DESC'} LIMIT 1 OFFSET ?`).pluck().get(keep - 1);
      expect(evaluateRules(db, rules).rules[0].threshold).toBe(want);
    }
  }
}

describe('sorted copies overlaid with a small write', () => {
  beforeEach(() => {
    process.env.WINNOW_FILTER_BLOCK = '16';
  });
  afterEach(() => {
    delete process.env.WINNOW_FILTER_BLOCK;
  });

  it.each([1, 2, 3])('count as brute-force SQL does after random writes of every kind (seed %i)', async (seed) => {
    const g = generator(seed);
    const { db: first, file, addItems } = await itemDb();
    let ids = addItems(N);
    const upsert = first.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?) ON CONFLICT (item_id, name) DO UPDATE SET value = excluded.value');
    first.transaction(() => ids.forEach((id) => g.random() < 0.9 && upsert.run(id, 's.a', value(g))))();
    filterCount(first, { rules: [{ id: 'r', kind: 'signal', enabled: true, signal: 's.a', op: '>', threshold: 0.5 }], show: 'removed' });
    await removedSets(first).idle();
    // A second process opens the project: its copy is the file, read block by block.
    let db = openDatabase(file);
    let sets = removedSets(db);
    sets.preload();
    expect(sets.openFiles()).toEqual(['s.a']);
    const other = new Database(file);
    const has = (id: number) => db.prepare(`SELECT 1 FROM signals WHERE name = 's.a' AND item_id = ?`).get(id) !== undefined;
    const writes: [string, (conn: Db | Database.Database) => void][] = [
      ['update', (conn) => conn.prepare(`UPDATE signals SET value = ? WHERE name = 's.a' AND item_id = ?`).run(value(g), g.pick(ids))],
      ['update to the same value', (conn) => conn.prepare(`UPDATE signals SET value = value WHERE name = 's.a' AND item_id = ?`).run(g.pick(ids))],
      ['upsert', (conn) => conn.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?) ON CONFLICT (item_id, name) DO UPDATE SET value = excluded.value').run(g.pick(ids), 's.a', value(g))],
      ['update of a few rows', (conn) => conn.prepare(`UPDATE signals SET value = round(value * 7 + ?, 2) % 1 WHERE name = 's.a' AND item_id % 13 = ?`).run(g.random(), Math.floor(g.random() * 13))],
      ['delete', (conn) => conn.prepare(`DELETE FROM signals WHERE name = 's.a' AND item_id = ?`).run(g.pick(ids))],
      ['insert', (conn) => {
        const id = ids.find((k) => !has(k));
        if (id !== undefined) conn.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 's.a', ?)`).run(id, value(g));
      }],
      // A job's batch: values for items that had none (some just imported), in one transaction, as SignalStore writes them.
      ['insert of new items\' values', (conn) => {
        const fresh = [...addItems(Math.floor(g.random() * 3)), ...ids.filter((k) => !has(k)).slice(0, 1 + Math.floor(g.random() * 4))];
        ids = [...new Set([...ids, ...fresh])];
        const job = conn.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?) ON CONFLICT (item_id, name) DO UPDATE SET value = excluded.value');
        conn.transaction(() => fresh.forEach((id) => job.run(id, 's.a', value(g))))();
      }],
      // Deletes the row it replaces without a delete trigger (recursive triggers are off): migration 31 logs it first.
      ['insert or replace', (conn) => conn.prepare(`INSERT OR REPLACE INTO signals (item_id, name, value) VALUES (?, 's.a', ?)`).run(g.pick(ids), value(g))],
      ['insert or replace onto an existing row', (conn) => {
        const id = ids.find((k) => has(k) && g.random() < 0.2) ?? ids.find(has);
        if (id !== undefined) conn.prepare(`INSERT OR REPLACE INTO signals (item_id, name, value) VALUES (?, 's.a', ?)`).run(id, value(g));
      }],
      // Changes nothing, but its BEFORE INSERT trigger logs the row (a version with the item's value unchanged).
      ['insert or ignore onto an existing row', (conn) => conn.prepare(`INSERT OR IGNORE INTO signals (item_id, name, value) VALUES (?, 's.a', ?)`).run(g.pick(ids), value(g))],
      ['a row moved to another item (replacing its row)', (conn) => conn.prepare(`UPDATE OR REPLACE signals SET item_id = ? WHERE name = 's.a' AND item_id = ?`).run(g.pick(ids), g.pick(ids))],
      ['a row moved to an item without one', (conn) => {
        const to = ids.find((k) => !has(k));
        if (to !== undefined) conn.prepare(`UPDATE signals SET item_id = ? WHERE name = 's.a' AND item_id = ?`).run(to, g.pick(ids));
      }],
      ['a row moved to another signal and back', (conn) => {
        const id = g.pick(ids);
        conn.prepare(`UPDATE signals SET name = 's.b' WHERE name = 's.a' AND item_id = ?`).run(id);
        conn.prepare(`UPDATE signals SET name = 's.a', value = ? WHERE name = 's.b' AND item_id = ?`).run(value(g), id);
      }],
      ['item deleted', (conn) => {
        const id = g.pick(ids);
        conn.prepare('DELETE FROM items WHERE id = ?').run(id);
        ids = ids.filter((k) => k !== id);
      }],
      ['rolled back', (conn) => {
        try {
          conn.transaction(() => {
            conn.prepare(`UPDATE signals SET value = 1 - value WHERE name = 's.a' AND item_id % 3 = 0`).run();
            throw new Error('roll back');
          })();
        } catch { /* the rollback under test */ }
      }],
    ];
    const counts = { overlaid: catchUps.overlaid };
    const version = () => db.prepare(`SELECT version FROM change_versions WHERE key = 'signal:s.a'`).pluck().get() as number;
    const inserted = () => db.prepare(`SELECT count(*) FROM signal_log WHERE name = 's.a' AND old_value IS NULL`).pluck().get() as number;
    let overlaidWhileOpen = 0;
    let overlaidInserts = 0;
    for (let step = 0; step < 40; step++) {
      const [kind, write] = g.pick(writes);
      const conn = g.random() < 0.3 ? other : db;
      const before = { ...catchUps };
      const [v0, inserts0] = [version(), inserted()];
      // 1–3 writes between counts (a copy overlaid again, from its base).
      for (let k = Math.floor(g.random() * 3); k >= 0; k--) write(conn);
      const changed = version() !== v0;
      compare(db, g);
      // Every write, inserts included, was caught up by one overlay of the kept copy: none read the copy whole.
      expect([kind, catchUps.overlaid - before.overlaid]).toEqual([kind, changed ? 1 : 0]);
      if (changed) expect(sets.signalOrder('s.a')).toBeInstanceOf(Overlaid);
      if (changed && inserted() > inserts0) overlaidInserts++;
      if (catchUps.overlaid > before.overlaid && sets.openFiles().includes('s.a')) overlaidWhileOpen++;
      // Sometimes the delayed rewrite runs (the copy read whole and merged, its file written) before the next write.
      if (g.random() < 0.2) {
        await sets.idle();
        compare(db, g);
      }
      expect(kind).toBeTruthy();
      // Now and then another process opens the project, on the file the last rewrite left (or SQL when it is stale).
      if (step % 8 === 7) {
        await sets.idle();
        db.close();
        db = openDatabase(file);
        sets = removedSets(db);
        sets.preload();
      }
    }
    // Overlays left the base file unread, and writes that inserted rows (logged with no old value) were overlaid too.
    expect(catchUps.overlaid - counts.overlaid).toBeGreaterThan(5);
    expect(overlaidInserts).toBeGreaterThan(2);
    expect(overlaidWhileOpen).toBeGreaterThan(0);
    // The file written last is the signal as SQL has it: a third process counts from it.
    await sets.idle();
    const third = openDatabase(file);
    removedSets(third).preload();
    expect(removedSets(third).openFiles()).toEqual(['s.a']);
    compare(third, g);
    for (const conn of [third, db, first]) conn.close();
    other.close();
  });

  it('count from the old copy plus the changed rows, without reading the copy, after an update; SQL after a wrapped log', async () => {
    const { db: first, file, addItems } = await itemDb();
    const ids = addItems(N);
    first.transaction(() => ids.forEach((id, k) => first.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 's.a', ?)`).run(id, (k % 40) / 40)))();
    const rules: RuleT[] = [{ id: 'r', kind: 'signal', enabled: true, signal: 's.a', op: '>=', threshold: 0.5 }];
    const brute = (conn: Db) => conn.prepare(`SELECT count(*) FROM signals WHERE name = 's.a' AND value < 0.5`).pluck().get();
    filterCount(first, { rules, show: 'removed' });
    await removedSets(first).idle();
    first.close();
    const db = openDatabase(file);
    const sets = removedSets(db);
    sets.preload();
    expect(filterCount(db, { rules, show: 'removed' })).toBe(brute(db));
    const overlaid = catchUps.overlaid;
    db.prepare(`UPDATE signals SET value = 0.9 WHERE name = 's.a' AND item_id = ?`).run(ids[0]);
    expect(sets.ready(compileRules(db, rules))).toBe(true);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(brute(db));
    expect(catchUps.overlaid).toBe(overlaid + 1);
    // Only the blocks the counts needed were read: the file is still open.
    expect(sets.openFiles()).toEqual(['s.a']);
    // A quantile that falls on a value only the write brought (between two of the copy's values).
    db.prepare(`UPDATE signals SET value = 0.4875 WHERE name = 's.a' AND item_id = ?`).run(ids[5]);
    const n = db.prepare(`SELECT count(*) FROM signals WHERE name = 's.a'`).pluck().get() as number;
    const under = db.prepare(`SELECT count(*) FROM signals WHERE name = 's.a' AND value < 0.4875`).pluck().get() as number;
    const quantile = (op: '<' | '>=', keepTop: number) => evaluateRules(db, [{ id: 'q', kind: 'signal', enabled: true, signal: 's.a', op, keepTop }]).rules[0].threshold;
    expect(quantile('<', (under + 1) / n)).toBe(0.4875);
    expect(quantile('>=', (n - under) / n)).toBe(0.4875);
    expect(catchUps.overlaid).toBe(overlaid + 2);
    expect(sets.openFiles()).toEqual(['s.a']);
    // A log missing a version of the write: not caught up, counted by SQL.
    db.prepare(`UPDATE signals SET value = 0.1 WHERE name = 's.a' AND item_id IN (?, ?)`).run(ids[1], ids[2]);
    db.prepare(`DELETE FROM signal_log WHERE version = (SELECT version FROM change_versions WHERE key = 'signal:s.a')`).run();
    expect(sets.ready(compileRules(db, rules))).toBe(false);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(brute(db));
    await sets.idle();
    expect(sets.ready(compileRules(db, rules))).toBe(true);
    // More versions than the log keeps (1,024): read again.
    for (let k = 0; k < 4; k++) db.prepare(`UPDATE signals SET value = 1 - value WHERE name = 's.a'`).run();
    expect(sets.ready(compileRules(db, rules))).toBe(false);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(brute(db));
    db.close();
  });

  it('upgrading from schema 30 drops the inserts logged with no old value, which may hide a replaced row', async () => {
    const file = path.join(await tempDir('winnow-upgrade-'), 'project.sqlite');
    const old = databaseAt(file, 30);
    old.prepare(`INSERT INTO sources (kind, path, root, name) VALUES ('folder', '/d', '/d', 'd')`).run();
    for (let k = 1; k <= 3; k++) old.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (1, ?, ?, 'jpg', 10, 10, 1, ?)`).run(`k${k}`, `/d/${k}.jpg`, `s${k}`);
    old.exec(`INSERT INTO signals (item_id, name, value) VALUES (1, 's.a', 0.1), (2, 's.a', 0.2);
      UPDATE signals SET value = 0.3 WHERE item_id = 2; INSERT OR REPLACE INTO signals (item_id, name, value) VALUES (1, 's.a', 0.9)`);
    const log = (conn: Db | Database.Database) => conn.prepare(`SELECT version, item_id itemId, old_value oldValue FROM signal_log WHERE name = 's.a' ORDER BY version`).all();
    // Schema 30 logs the replace as an insert with no old value, although item 1 had 0.1 (an update logs both sides).
    const updated = [{ version: 3, itemId: 2, oldValue: 0.2 }, { version: 4, itemId: 2, oldValue: 0.2 }];
    expect(log(old)).toEqual([{ version: 1, itemId: 1, oldValue: null }, { version: 2, itemId: 2, oldValue: null }, ...updated, { version: 5, itemId: 1, oldValue: null }]);
    old.close();
    const db = openDatabase(file);
    expect(log(db)).toEqual(updated);
    // From now on a replace logs the row it deletes first, and a new item's insert is the only NULL.
    db.exec(`INSERT OR REPLACE INTO signals (item_id, name, value) VALUES (1, 's.a', 0.5), (3, 's.a', 0.7)`);
    expect(log(db).slice(2)).toEqual([{ version: 6, itemId: 1, oldValue: 0.9 }, { version: 7, itemId: 1, oldValue: null }, { version: 8, itemId: 3, oldValue: null }]);
    db.close();
  });

  it('fall back to SQL when a block of the file under an overlay is damaged', async () => {
    const { db: first, file, addItems } = await itemDb();
    const ids = addItems(N);
    first.transaction(() => ids.forEach((id, k) => first.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 's.a', ?)`).run(id, (k % 40) / 40)))();
    filterCount(first, { rules: [{ id: 'r', kind: 'signal', enabled: true, signal: 's.a', op: '>', threshold: 0.5 }], show: 'removed' });
    await removedSets(first).idle();
    first.close();
    const db = openDatabase(file);
    const sets = removedSets(db);
    sets.preload();
    db.prepare(`UPDATE signals SET value = 0.9 WHERE name = 's.a' AND item_id = ?`).run(ids[0]);
    const overlaid = catchUps.overlaid;
    expect(sets.signalCount('s.a')).toBe(N);
    expect(catchUps.overlaid).toBe(overlaid + 1);
    // The ids of every block but the first three and last three zeroed, under the open copy.
    const copy = path.join(path.dirname(file), 'filter-cache', 's.a.sorted');
    const buf = readFileSync(copy);
    writeFileSync(copy, buf.fill(0, buf.length - (N - 48) * 4, buf.length - 48 * 4));
    const g = generator(9);
    compare(db, g);
    expect(sets.openFiles()).toEqual([]);
    // The damaged copy is dropped and the signal read again from SQL (the overlay over it is not kept).
    await sets.idle();
    expect(sets.signalOrder('s.a')).not.toBeInstanceOf(Overlaid);
    compare(db, g);
    db.close();
  });
});
