// The filter recount's sorted copies are opened from their files when a project opens and read in the background,
// block by block (removed-sets.ts `preload`, sorted-file.ts); a recount reads and checks the blocks it needs itself.
// Whatever the state of the load when a recount arrives (in flight, stale by a write from another connection, a
// damaged file or block, a zero budget, the project closed), the counts are those of a brute-force SQL pass over
// every item with each rule's own predicate. Files are written in blocks of 16 items here (25 blocks a signal).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDispatch } from '../../../main/api/handlers';
import type { MethodInput, MethodName, MethodResult } from '../../../main/api/contract';
import type { RuleT } from '../../../main/domain/curation';
import { chunkedTally } from '../../../main/engine/curate/chunked-tally';
import { Bits, catchUps, removedSets, streamedTallies } from '../../../main/engine/curate/removed-sets';
import { openSortedFile, positionOf, rangeWords, saveSortedFile, valueOf } from '../../../main/engine/curate/sorted-file';
import { compileRules } from '../../../main/engine/curate/rules';
import { filterCount } from '../../../main/engine/curate/selection';
import { Engine } from '../../../main/engine/engine';
import { type Db, openDatabase } from '../../../main/engine/store/database';
import { tempDir } from '../../fixtures/images';
import { projectWithCopies } from '../../fixtures/filter-truth';

const N = 400;
const rules: RuleT[] = [
  { id: 'a', kind: 'signal', enabled: true, signal: 's.a', op: '>=', threshold: 0.3 },
  { id: 'b', kind: 'signal', enabled: true, signal: 's:b', op: '<', threshold: 0.8 },
];

/** The independent count: items any enabled rule removes, by each rule's SQL predicate over every item. */
function bruteForce(db: Db, list: RuleT[]): number {
  const where = compileRules(db, list).filter((c) => c.rule.enabled).map((c) => `(${c.removes})`).join(' OR ') || '0';
  return db.prepare(`SELECT count(*) FROM items i WHERE ${where}`).pluck().get() as number;
}

/** A project folder whose two signals have sorted copies on disk (written by a first session), and its file names. */
async function projectWithFiles() {
  const { dir, file } = await projectWithCopies(N, rules);
  return { dir, file, copies: ['s.a.sorted', 's%3ab.sorted'].map((f) => path.join(dir, 'filter-cache', f)) };
}

/** A copy's file read whole through the path counts use (null: missing, stale, damaged or over `maxBytes`). */
function readWholeFile(dir: string, name: string, version: number, maxBytes: number) {
  const copy = openSortedFile(dir, name, version, maxBytes);
  return copy?.readWhole() ? copy : null;
}

let engine: Engine;
let call: <M extends MethodName>(m: M, input: MethodInput<M>) => Promise<MethodResult<M>>;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => rejections.push(reason);

beforeEach(async () => {
  process.env.WINNOW_HOME = await tempDir();
  process.env.WINNOW_FILTER_BLOCK = '16';
  engine = new Engine('cli');
  call = createDispatch(engine) as typeof call;
  rejections.length = 0;
  process.on('unhandledRejection', onRejection);
});

afterEach(async () => {
  await engine.close();
  process.off('unhandledRejection', onRejection);
  delete process.env.WINNOW_FILTER_CACHE_MB;
  delete process.env.WINNOW_FILTER_BLOCK;
});

/** What the API answers for the rules: items.count's removed count and selection.evaluate's. */
async function apiCounts(list: RuleT[]) {
  const count = await call('items.count', { selection: { rules: list, show: 'removed' } });
  const evaluation = await call('selection.evaluate', { rules: list });
  return { count, evaluated: evaluation.removed };
}

describe('sorted copies opened when a project opens', () => {
  it('a recount, through the API or directly, equals brute-force SQL, reading only some blocks; the files close with the project', async () => {
    const { dir } = await projectWithFiles();
    await call('project.open', { dir });
    const db = engine.requireProject().db;
    const sets = removedSets(db);
    expect(sets.openFiles().sort()).toEqual(['s.a', 's:b']);
    // Directly, reading the blocks the count needs.
    const expected = bruteForce(db, rules);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(N);
    expect(filterCount(db, { rules, show: 'removed' })).toBe(expected);
    await engine.closeProject();
    expect(sets.openFiles()).toEqual([]);
    await engine.openProject(dir);
    const reopened = engine.requireProject().db;
    expect(removedSets(reopened).openFiles().length).toBe(2);
    // Through the API, at several thresholds, one rule (a values block) and two (their ids too, streamed to the tally).
    const streamed = streamedTallies.counted;
    for (const t of [0, 0.1, 0.55, 0.99, 1]) {
      const list = rules.map((r, k) => (k === 0 ? { ...r, threshold: t } : r));
      expect(await call('items.count', { selection: { rules: [list[0]], show: 'removed' } })).toBe(bruteForce(reopened, [list[0]]));
      expect(await apiCounts(list)).toEqual({ count: bruteForce(reopened, list), evaluated: bruteForce(reopened, list) });
    }
    expect(streamedTallies.counted).toBeGreaterThan(streamed);
    expect(removedSets(reopened).ready(compileRules(reopened, rules))).toBe(true);
    expect(rejections).toEqual([]);
  });

  it.each([[1, true], [3, false]])('after %i writes of every row from another connection, catches up from signal_log: %s', async (writes, patched) => {
    const { dir, file } = await projectWithFiles();
    await call('project.open', { dir });
    const db = engine.requireProject().db;
    const sets = removedSets(db);
    expect(sets.openFiles()).toContain('s.a');
    const other = openDatabase(file);
    // Every s.a value to k (400 versions a write, one a row: the log keeps 1,024): the rule on s.a removes fewer, which the old copy would not see.
    for (let k = 0; k < writes; k++) other.prepare(`UPDATE signals SET value = ? WHERE name = 's.a'`).run(k);
    other.close();
    // Caught up from the log, or (too far behind) no copy of s.a: the count is SQL's. Right either way.
    expect(sets.ready(compileRules(db, [rules[0]]))).toBe(patched);
    const expected = bruteForce(db, rules);
    expect(await apiCounts(rules)).toEqual({ count: expected, evaluated: expected });
    // The untouched signal's copy is used.
    expect(sets.ready(compileRules(db, [rules[1]]))).toBe(true);
  });

  it('counts a copy overlaid with a small write from another connection as brute-force SQL does, streamed with the changed items flipped', async () => {
    const { dir, file } = await projectWithFiles();
    await call('project.open', { dir });
    const db = engine.requireProject().db;
    const other = openDatabase(file);
    // Items moved across every threshold below, both ways, and one deleted: the overlay clears their old bits and sets their new ones.
    const ids = other.prepare(`SELECT item_id FROM signals WHERE name = 's.a' ORDER BY item_id`).pluck().all() as number[];
    other.transaction(() => {
      for (const [k, value] of [[3, 0.01], [50, 0.99], [120, 0.31], [201, 0.29], [333, 0.6]] as const) other.prepare(`UPDATE signals SET value = ? WHERE name = 's.a' AND item_id = ?`).run(value, ids[k]);
      other.prepare(`DELETE FROM signals WHERE name = 's.a' AND item_id = ?`).run(ids[7]);
    })();
    other.close();
    const [overlaid, streamed] = [catchUps.overlaid, streamedTallies.counted];
    for (const t of [0.1, 0.3, 0.55, 0.9]) {
      for (const op of ['>=', '<'] as const) {
        const list = [{ ...rules[1] }, { ...rules[0], op, threshold: t }];
        const expected = bruteForce(db, list);
        expect(await apiCounts(list)).toEqual({ count: expected, evaluated: expected });
        const evaluation = await call('selection.evaluate', { rules: list });
        expect(evaluation.rules.map((r) => r.removedCumulative)).toEqual(list.map((r, k) => bruteForce(db, list.slice(0, k + 1)) - bruteForce(db, list.slice(0, k))));
      }
    }
    expect(catchUps.overlaid).toBeGreaterThan(overlaid);
    expect(streamedTallies.counted).toBeGreaterThan(streamed);
  });

  // Blocks of 16: positions 32–47 of s.a lie inside what its rule removes (its 120 smallest values), so ids or
  // values believed there change the counts. Its 25 prefix bitsets (one per block, 13 words each: ids up to 400)
  // lie just before the values; its rule at 0.3 reads bitset 6 (the ids of positions 0–111) and ids 112–119.
  const ids = (buf: Buffer) => buf.length - N * 4;
  const values = (buf: Buffer) => buf.length - N * 12;
  const mark = (buf: Buffer, m: number) => values(buf) - (25 - m) * 13 * 4;
  it.each([
    ['values overwritten', 'open', (buf: Buffer) => buf.fill(0, values(buf), ids(buf))],
    ['truncated', 'open', (buf: Buffer) => buf.subarray(0, buf.length - 3)],
    ['one block of ids in the middle zeroed', 'count', (buf: Buffer) => buf.fill(0, ids(buf) + 32 * 4, ids(buf) + 48 * 4)],
    ['one block of values in the middle zeroed', 'count', (buf: Buffer) => buf.fill(0, values(buf) + 32 * 8, values(buf) + 48 * 8)],
    ['every prefix bitset zeroed', 'count', (buf: Buffer) => buf.fill(0, mark(buf, 0), values(buf))],
    ['one bit of the prefix bitset the rule reads flipped', 'count', (buf: Buffer) => {
      buf[mark(buf, 6) + 1] ^= 4;
      return buf;
    }],
    ['its layout changed (prefix bitsets every 2 blocks)', 'open', (buf: Buffer) => Buffer.from(buf.toString('latin1').replace('"stride":16,', '"stride":32,'), 'latin1')],
  ])('falls back to SQL when a file is damaged (%s), found at %s', async (_, when, damage) => {
    const { dir, copies } = await projectWithFiles();
    writeFileSync(copies[0], damage(readFileSync(copies[0])));
    await call('project.open', { dir });
    const db = engine.requireProject().db;
    const sets = removedSets(db);
    // Damage in the first or last blocks, or in the layout, is found when the file is opened; elsewhere when read.
    expect(sets.openFiles().includes('s.a')).toBe(when === 'count');
    const before = compileRules(db, [{ ...rules[0], threshold: 0.1 }, rules[1], { ...rules[0], id: 'c', threshold: 0.2 }]);
    for (const list of [rules, before.map((c) => c.rule)]) {
      const expected = bruteForce(db, list);
      expect(await apiCounts(list)).toEqual({ count: expected, evaluated: expected });
      const evaluation = await call('selection.evaluate', { rules: list });
      expect(evaluation.rules.map((r) => r.removedCumulative)).toEqual(list.map((r, k) => bruteForce(db, list.slice(0, k + 1)) - bruteForce(db, list.slice(0, k))));
    }
    // The damaged copy was dropped (its file closed) and the signal read again from SQL, its file rewritten whole.
    expect(sets.openFiles()).not.toContain('s.a');
    await sets.idle();
    expect(sets.ready(compileRules(db, [rules[0]]))).toBe(true);
    const version = db.prepare(`SELECT version FROM change_versions WHERE key = 'signal:s.a'`).pluck().get() as number;
    expect(readWholeFile(path.dirname(copies[0]), 's.a', version, 2 ** 30)?.values.length).toBe(N);
    const expected = bruteForce(db, rules);
    expect(await apiCounts(rules)).toEqual({ count: expected, evaluated: expected });
  });

  it('loads nothing with a zero budget', async () => {
    const { dir } = await projectWithFiles();
    process.env.WINNOW_FILTER_CACHE_MB = '0';
    await call('project.open', { dir });
    const db = engine.requireProject().db;
    expect(removedSets(db).openFiles()).toEqual([]);
    const expected = bruteForce(db, rules);
    expect(await apiCounts(rules)).toEqual({ count: expected, evaluated: expected });
    expect(removedSets(db).ready(compileRules(db, rules))).toBe(false);
  });

  it('closes its files when the project closes, with no unhandled rejection', async () => {
    const { dir } = await projectWithFiles();
    await call('project.open', { dir });
    const db = engine.requireProject().db;
    const sets = removedSets(db);
    expect(sets.openFiles().length).toBe(2);
    await engine.close();
    expect(db.open).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sets.openFiles()).toEqual([]);
    expect(rejections).toEqual([]);
  });
});

describe('a sorted copy read in blocks', () => {
  const n = 300_000; // 3.6 MB: 293 blocks of 1,024 items, a prefix bitset every 10 blocks (30 of 9,375 words)
  // Runs of 7 equal values, so thresholds fall on ties and between them.
  const values = Float64Array.from({ length: n }, (_, k) => Math.floor(k / 7) / n);
  const ids = Int32Array.from({ length: n }, (_, k) => (k * 7) % n);
  const same = (a: ArrayBufferView, b: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const stride = 10 * 1024;
  // Prefixes, suffixes and middles ending on a bitset, next to one, half-way between two, at the ends and empty.
  const cuts = [0, 1, 1023, 1024, stride - 1, stride, stride + 1, 3 * stride + stride / 2, 3 * stride + stride / 2 + 1, 150_000, 29 * stride - 1, 29 * stride, 29 * stride + 3, n - 1, n];
  const ranges = [...cuts.flatMap((c) => [[0, c], [c, n]]), [stride, 2 * stride], [1000, 200_000], [5 * stride + 7, 25 * stride - 7], [70_000, 70_001], [n - 1, n], [4, 4]];
  /** The ids of positions [from, to) as words, from the saved arrays (the independent answer), padded with zeros to `length`. */
  const truth = (from: number, to: number, length: number) => {
    const words = new Uint32Array(Math.max(length, Math.ceil(n / 32)));
    words.set(Bits.fromIds(ids, from, to).words);
    return words;
  };
  const expectRange = (words: Uint32Array | null, from: number, to: number) => {
    expect(words).not.toBeNull();
    expect(same(truth(from, to, words!.length).subarray(0, words!.length), words!) && truth(from, to, 0).subarray(words!.length).every((w) => w === 0)).toBe(true);
    expect(new Bits(words!).count()).toBe(to - from);
  };

  beforeEach(() => {
    process.env.WINNOW_FILTER_BLOCK = '1024';
  });

  afterEach(() => {
    delete process.env.WINNOW_FILTER_MARKS;
  });

  it('equals what was saved, read whole or block by block, and a change in any block is a miss', async () => {
    const dir = await tempDir();
    saveSortedFile(dir, 'big:one', 5, { values, ids });
    const order = readWholeFile(dir, 'big:one', 5, 2 ** 30)!;
    expect(same(order.values, values) && same(order.ids, ids)).toBe(true);
    // Block by block: the first value ≥ t found from the one block the first values name, as a scan of every value finds it.
    const buffersBefore = process.memoryUsage().arrayBuffers;
    const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
    const openedWith = process.memoryUsage().arrayBuffers - buffersBefore;
    for (const t of [-1, 0, 1 / n, 1000.5 / n, 8191 / 7 / n, 8192 / 7 / n, 20000 / n, 42857 / n, 1]) {
      for (const strict of [false, true]) {
        const want = values.findIndex((v) => (strict ? v > t : v >= t));
        expect(positionOf(copy, t, strict)).toBe(want < 0 ? n : want);
      }
    }
    for (const k of [0, 1, 5000, 123_457, n - 1]) expect(valueOf(copy, k)).toBe(values[k]);
    // Opened, it holds its block table and first and last blocks, not its whole arrays (3.6 MB here): made at open,
    // they started a major GC that landed in the first recount at 1M items (sorted-file.ts).
    expect(openedWith).toBeLessThan(n);
    expect(copy.count).toBe(n);
    copy.close();
    expect(readWholeFile(dir, 'big:one', 6, 2 ** 30)).toBeNull();
    expect(readWholeFile(dir, 'big:one', 5, n * 12 - 1)).toBeNull();
    const file = path.join(dir, 'big%3aone.sorted');
    const good = readFileSync(file);
    // The last block (found on open), and a middle one (found when read).
    for (const at of [good.length - 2, good.length - n * 4 + 200 * 1024 * 4 + 3]) {
      const buf = Buffer.from(good);
      buf[at] ^= 1;
      writeFileSync(file, buf);
      expect(readWholeFile(dir, 'big:one', 5, 2 ** 30)).toBeNull();
    }
    const damaged = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
    expect(rangeWords(damaged, 0, 1024)).not.toBeNull();
    expect(rangeWords(damaged, 200 * 1024, 200 * 1024 + 1)).toBeNull();
    expect(damaged.broken).toBe(true);
  });

  it.each([['prefix bitsets', undefined], ['no prefix bitsets', '0']])('gives the ids of any range as the saved ids do (%s); with prefix bitsets it reads one or two and a few blocks, not every id', async (_, marks) => {
    const dir = await tempDir();
    if (marks !== undefined) process.env.WINNOW_FILTER_MARKS = marks;
    saveSortedFile(dir, 'big:one', 5, { values, ids });
    for (const [from, to] of ranges) {
      // A fresh copy each time, so what the range reads is its own.
      const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
      const before = copy.bytesRead;
      expectRange(rangeWords(copy, from, to), from, to);
      // With bitsets at most two of them (37.5 KB each) and the ids of half the stride on each side, whatever the range.
      const read = copy.bytesRead - before;
      if (marks === undefined) expect(read).toBeLessThanOrEqual(Math.min(4 * (to - from) + 8192, 2 * (9375 * 4 + (stride / 2 + 1024) * 4)));
      else expect(read).toBeGreaterThanOrEqual(4 * (to - from) - 2 * 4096); // the first and last blocks were read at open
      copy.close();
    }
    // Again on one copy, in turn: blocks kept from one range to the next give the same answers.
    const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
    for (const [from, to] of ranges) expectRange(rangeWords(copy, from, to), from, to);
    copy.close();
  });

  /** The big copy saved to its file: the file, its bytes as written, and where prefix bitset m starts in them. */
  const savedWithBitsets = async () => {
    const dir = await tempDir();
    saveSortedFile(dir, 'big:one', 5, { values, ids });
    const file = path.join(dir, 'big%3aone.sorted');
    const good = readFileSync(file);
    return { dir, file, good, markAt: (m: number) => good.length - n * 12 - (30 - m) * 9375 * 4 };
  };

  it('is never counted from a damaged prefix bitset, and a file whose layout changed is a miss', async () => {
    const { dir, file, good, markAt } = await savedWithBitsets();
    // Bitset 14 holds positions [0, 15 * stride): the ranges ending there read it, and find it damaged.
    const buf = Buffer.from(good);
    buf[markAt(14) + 777] ^= 0x10;
    writeFileSync(file, buf);
    for (const [from, to] of [[0, 15 * stride], [15 * stride, n], [0, 15 * stride + 5]]) {
      const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
      expect(rangeWords(copy, from, to)).toBeNull();
      expect(copy.broken).toBe(true);
    }
    // Ranges that read other bitsets are right.
    const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
    expectRange(rangeWords(copy, 0, 3 * stride), 0, 3 * stride);
    copy.close();
    // Bitsets said to lie one item further apart (as many of them, the file the same size): the table's hash covers the layout.
    writeFileSync(file, Buffer.from(good.toString('latin1').replace(`"stride":${stride},`, `"stride":${stride + 1},`), 'latin1'));
    expect(openSortedFile(dir, 'big:one', 5, 2 ** 30)).toBeNull();
  });

  /** The tally of id sets as position ranges of the saved order or ids, counted one id at a time (the independent answer). */
  const bruteTally = (sets: ArrayLike<number>[]) => {
    const seen = new Uint8Array(n + 200);
    const cumulative = sets.map((list) => {
      let added = 0;
      for (let k = 0; k < list.length; k++) if (!seen[list[k]]) added += seen[list[k]] = 1;
      return added;
    });
    return { alone: sets.map((list) => new Set(Array.from(list)).size), cumulative, union: cumulative.reduce((a, b) => a + b, 0) };
  };

  it('streams a range to a tally from its prefix bitsets, chunk by chunk, counting as the saved ids do', async () => {
    const dir = await tempDir();
    saveSortedFile(dir, 'big:one', 5, { values, ids });
    // Another set with ids past the copy's (its words longer than the streamed ones), and a middle range built whole.
    const extra = Int32Array.from({ length: 3000 }, (_, k) => (k * 101) % (n + 150));
    let streamed = 0;
    for (const [from, to] of ranges) {
      const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
      const stream = copy.rangeStream(from, to);
      if (stream) {
        streamed++;
        const other = copy.rangeStream(40_000, 250_000)!;
        const sets = [Bits.fromIds(extra, 0, extra.length, new Set(extra).size), stream, other, Bits.fromIds(ids, 100_000, 100_500, 500)];
        expect(chunkedTally(sets)).toEqual(bruteTally([extra, ids.subarray(from, to), ids.subarray(40_000, 250_000), ids.subarray(100_000, 100_500)]));
      }
      copy.close();
    }
    // Every range long enough to cost more in ids than in bitsets.
    expect(streamed).toBeGreaterThan(20);
  });

  it('never counts a streamed range whose prefix bitset is damaged in any chunk', async () => {
    const { dir, file, good, markAt } = await savedWithBitsets();
    // Bitset 14 (positions [0, 15 * stride)): a bit flipped in its first chunk of 4,096 words, its last, and its last byte.
    for (const at of [markAt(14) + 777, markAt(14) + 4 * 9000 + 2, markAt(15) - 1]) {
      const buf = Buffer.from(good);
      buf[at] ^= 0x10;
      writeFileSync(file, buf);
      for (const [from, to] of [[0, 15 * stride], [15 * stride, n], [0, 15 * stride + 5]]) {
        const copy = openSortedFile(dir, 'big:one', 5, 2 ** 30)!;
        const stream = copy.rangeStream(from, to)!;
        expect(stream).not.toBeNull();
        expect(chunkedTally([Bits.fromIds(ids, 0, 10, 10), stream])).toBeNull();
        expect(copy.broken).toBe(true);
        copy.close();
      }
    }
  });
});
