// What rules remove, as bitsets over item ids, for counts (filter recount, evaluation, per-rule gallery).
// SQL counts over a rule's source grow with the rows it removes (a UNION of half a million ids took
// ~0.3–0.9 s on a 1M-item project); here a threshold rule is a binary search in its signal's values sorted
// once (the removed ids are a prefix or suffix of that order), a union is an OR of 32-bit words and a count
// is a popcount. Caches are checked against change_versions (migration 26, bumped by triggers on every
// write to the tables a rule reads), so a cache is never used stale, whichever process wrote.
import { readdirSync } from 'node:fs';
import type { Db } from '../store/database';
import { MANUAL_EXCLUDED, MANUAL_KEPT } from '../store/manual';
import { loadBitsFile, saveBitsFile } from './bits-file';
import { tallyKernel } from './tally-kernel';
import { KEEPS } from '../../domain/curation';
import { chunkedTally, type StreamedSet, type Tally } from './chunked-tally';
import { lookUpCheaper, withExtra } from './decided-tally';
import { maxId, setIds, wordsFor } from './id-words';
import type { CompiledRule } from './rules';
import { entries, Overlaid } from './signal-overlay';
import { countOf, openSortedFile, positionOf, rangeWords, readWhole, saveSortedFile, type SignalOrder, SortedCopy, signalOfFile, sortedDir, sortedFileStat, valueOf } from './sorted-file';

export type { SignalOrder };
/** A signal's sorted copy as kept: its arrays, or an older copy overlaid with the items written since (signal-overlay.ts). */
export type KeptOrder = SignalOrder | Overlaid;

/** How many items a kept copy holds. */
export const orderLength = (order: KeptOrder) => (order instanceof Overlaid ? order.length : countOf(order));

/** Item ids as bits; arrays of different lengths combine as if padded with zeros. */
export class Bits {
  /** The popcount, once asked for or known (a Bits is not changed after it is built). */
  constructor(readonly words: Uint32Array, private counted = -1) {}

  static empty(): Bits {
    return new Bits(new Uint32Array(0));
  }

  /** `distinct`: how many distinct ids [from, to) holds, when the caller knows. */
  static fromIds(ids: ArrayLike<number>, from = 0, to = ids.length, distinct = -1): Bits {
    const words = new Uint32Array(wordsFor(maxId(ids, from, to)));
    setIds(words, ids, from, to);
    return new Bits(words, distinct);
  }

  has(id: number): boolean {
    return (id >>> 5) < this.words.length && (this.words[id >>> 5] & (1 << (id & 31))) !== 0;
  }

  or(other: Bits): Bits {
    const [long, short] = this.words.length >= other.words.length ? [this.words, other.words] : [other.words, this.words];
    const out = long.slice();
    for (let k = 0; k < short.length; k++) out[k] |= short[k];
    return new Bits(out);
  }

  and(other: Bits): Bits {
    const n = Math.min(this.words.length, other.words.length);
    const out = new Uint32Array(n);
    for (let k = 0; k < n; k++) out[k] = this.words[k] & other.words[k];
    return new Bits(out);
  }

  andNot(other: Bits): Bits {
    const out = this.words.slice();
    const n = Math.min(out.length, other.words.length);
    for (let k = 0; k < n; k++) out[k] &= ~other.words[k];
    return new Bits(out);
  }

  /** The ids set, ascending. */
  ids(): number[] {
    const out: number[] = [];
    for (let w = 0; w < this.words.length; w++) for (let v = this.words[w]; v !== 0; v &= v - 1) out.push(w * 32 + (31 - Math.clz32(v & -v)));
    return out;
  }

  count(): number {
    if (this.counted < 0) this.counted = popcount(this.words);
    return this.counted;
  }
}

/** Set bits of a 32-bit word. */
function pop32(v: number): number {
  v -= (v >>> 1) & 0x55555555;
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  v += v >>> 8;
  return (v + (v >>> 16)) & 0x3f;
}

function popcount(words: Uint32Array): number {
  let count = 0;
  for (let k = 0; k < words.length; k++) if (words[k] !== 0) count += pop32(words[k]);
  return count;
}


/** The positions [from, to) of a sorted signal that fail the keep-condition `value <op> t` (null: a damaged file). */
export function removedRange(order: KeptOrder, op: '>' | '>=' | '<' | '<=', t: number): [number, number] | null {
  const strict = op === '>' || op === '<=';
  const base = order instanceof Overlaid ? order.base : order;
  let at = positionOf(base, t, strict);
  if (at === null) return null;
  if (order instanceof Overlaid) at = order.at(at, t, strict);
  return op === '>' || op === '>=' ? [0, at] : [at, orderLength(order)];
}

/** The k-th smallest value (null: a damaged file). */
export function valueAt(order: KeptOrder, k: number): number | null {
  if (order instanceof Overlaid) return order.valueAt(k, (p) => valueOf(order.base, p), (v) => positionOf(order.base, v, true));
  return valueOf(order, k);
}

/**
 * Sorted signals cost 12 bytes per item each (Float64 value + Int32 id): 12 MB on a 1M-item project. At most
 * MAX_SIGNALS are kept, within sortedBudget() bytes, the least recently used dropped first; a signal larger than
 * the whole budget is never copied (its rules are counted with SQL). Bitsets of other sources: 1 bit per item id.
 */
const MAX_SIGNALS = 4;
const MAX_SOURCES = 16;
const MAX_TALLIES = 4;
/** Versions signal_log keeps per signal (migration 28): a copy further behind is read again whole. */
const LOG_RING = 1024;
/** How long after a catch-up from signal_log the copy's file is rewritten (a write burst rewrites it once). */
const SAVE_DELAY_MS = 2000;

/** Copies caught up from signal_log by overlaying the changed items (tests assert the path was taken). */
export const catchUps = { overlaid: 0 };
/** Tallies counted with sets streamed from sorted copies' files (tests assert the path was taken). */
export const streamedTallies = { counted: 0 };
/** Tallies with decisions by hand counted item by item against the rules' own tally (tests assert the path was taken). */
export const lookedUpTallies = { counted: 0 };
/** Rows from which a rule source's bitset is saved to a file for the next process (bits-file.ts). */
const SAVED_SOURCE_ROWS = 4096;
/** Rows per background read (one event-loop turn each); WINNOW_FILTER_CHUNK sets it (tests cross chunk edges with small ones). */
const chunkRows = () => Math.max(1, Number(process.env.WINNOW_FILTER_CHUNK) || 16_384);

/** Bytes of sorted signal values kept: WINNOW_FILTER_CACHE_MB, else 192 MB (one signal of 16M items). */
export function sortedBudget(): number {
  const mb = Number(process.env.WINNOW_FILTER_CACHE_MB);
  return (process.env.WINNOW_FILTER_CACHE_MB && Number.isFinite(mb) && mb >= 0 ? mb : 192) * 2 ** 20;
}

/** Bytes a kept copy holds, or will once read whole (a copy on its file allocates its arrays then). */
const orderBytes = (o: KeptOrder): number => (o instanceof Overlaid ? orderBytes(o.base) + o.changed * 24 : countOf(o) * 12);
/** The copy read from SQL or a file that a kept copy is (or overlays). */
const baseOf = (o: KeptOrder): SignalOrder => (o instanceof Overlaid ? o.base : o);
/** Whether looking the extra sets' ids up costs less than streaming `parts` (decided-tally.ts). */
const lookUpPays = (parts: readonly Part[], extra: readonly Bits[]) => lookUpCheaper(
  extra.reduce((n, b) => n + b.count(), 0),
  new Set(parts.flatMap((p) => (p.lookup ? [p.lookup.rule.range!.signal] : []))).size,
  parts.length,
  Math.max(0, ...parts.map((p) => p.words)),
);
const broken = (o: KeptOrder) => { const b = baseOf(o); return b instanceof SortedCopy && b.broken; };

interface Cached<T> { version: string; value: T }

/**
 * One set of a tally: its bits, or a threshold rule's range in its copy's file, keyed by range and version and streamed
 * only when no tally of it is kept (a stream's set-up hashes and overlay flips cost ~0.1 ms a rule on every recount);
 * `lookup` asks about single items (the rule's signal values at that version); `words`: about its length.
 */
interface Part { key: Bits | string; bits?: Bits; stream?: () => StreamedSet | null; words: number; lookup?: { rule: CompiledRule; version: string } }

export class RemovedSets {
  private readonly signals = new Map<string, Cached<KeptOrder>>();
  /** Signals found larger than the budget, at the version seen (not read again until they change). */
  private readonly tooLarge = new Map<string, string>();
  /** Sorted copies being read in the background. */
  private readonly reading = new Map<string, Promise<void>>();
  /** Files to be rewritten after a catch-up (`saveLater`), and what starts each now. */
  private readonly saving = new Map<string, Promise<void>>();
  private readonly flushes = new Set<() => void>();
  /** Sorted copies open on their files (sorted-file.ts): closed once no longer kept, or by `close`. */
  private readonly files = new Set<SortedCopy>();
  /** The version at which a signal's file was found missing, stale or damaged (not read again at that version). */
  private readonly fileTried = new Map<string, string>();
  private readonly dir: string | null;
  private readonly sources = new Map<string, Cached<Bits>>();
  /** Recent tallies by the identity of the sets counted (a set changes identity when its version does). */
  private readonly tallies: { keys: (Bits | string)[]; value: Tally }[] = [];
  private readonly versionStmt;
  private readonly valuesStmt;

  constructor(private readonly db: Db) {
    this.versionStmt = db.prepare('SELECT version FROM change_versions WHERE key = ?').pluck();
    this.valuesStmt = db.prepare('SELECT s.item_id, s.value FROM json_each(?) e CROSS JOIN signals s ON s.item_id = e.value AND s.name = ?').raw();
    this.dir = sortedDir(db);
  }

  private version(keys: readonly string[]): string {
    // An entry read under no key (a source that reads nothing versioned) would never be refreshed: refuse it.
    if (keys.length === 0) throw new Error('a cached source needs the change_versions keys of what it reads');
    return keys.map((k) => (this.versionStmt.get(k) as number | undefined) ?? 0).join(',');
  }

  /**
   * The signal's values sorted ascending, when a current copy is kept; otherwise null, and a copy is read in the
   * background (a million rows cost ~1 s of row reads: the caller counts with SQL meanwhile, never waiting).
   */
  signalOrder(name: string): KeptOrder | null {
    const version = this.version([`signal:${name}`]);
    const stale = this.signals.get(name);
    const hit = remember(this.signals, name, version);
    if (hit && !broken(hit)) return hit;
    // A block of its file was found damaged: counted with SQL, and the copy read again from SQL.
    if (hit) {
      this.signals.delete(name);
      this.fileTried.set(name, version);
    }
    // Not from inside a transaction: the version seen there may be rolled back (see readSorted).
    if (this.tooLarge.get(name) === version || this.db.inTransaction) return null;
    // A copy a small write made stale catches up from the rows the write changed (signal_log, migration 28).
    const patched = stale && stale.version !== version && !broken(stale.value) ? this.patch(name, stale, version) : null;
    // The stale copy's file, if it has one, is closed now.
    if (stale) this.release();
    if (patched) return patched;
    // A copy this or another process wrote at this version (sorted-file.ts): its header and a few blocks now, the
    // blocks a count needs when it needs them; not SQL.
    if (this.dir && this.fileTried.get(name) !== version) {
      const copy = this.open(this.dir, name, version);
      if (copy) return copy;
    }
    void this.warm(name);
    return null;
  }

  /**
   * The copy at `version` from the one kept at `stale.version` (or the older copy that one overlays) and the items
   * signal_log names for the versions between, when it names every one of them (a ring of the last 1,024); null
   * otherwise (the caller reads the signal again). Each changed item's first logged change carries the value it had in
   * that copy (migration 30), or NULL when it had no row there (migration 31 logs the rows a REPLACE deletes, so NULL
   * proves it): the copy is overlaid with the changed items (signal-overlay.ts: nothing of the copy is read, ~the
   * changed items' cost), never read whole and merged (60–120 ms at 1M items). Its file is rewritten later (`saveLater`).
   */
  private patch(name: string, stale: Cached<KeptOrder>, version: string): KeptOrder | null {
    const [baseVersion, old] = stale.value instanceof Overlaid ? [stale.value.baseVersion, stale.value.base] : [stale.version, stale.value];
    const [from, to] = [Number(baseVersion), Number(version)];
    if (!(to > from && to - from <= LOG_RING)) return null;
    // One snapshot for the version, the log and the values (a write from another connection may land between statements).
    const read = this.db.transaction(() => {
      if (this.version([`signal:${name}`]) !== version) return null;
      const log = this.db.prepare('SELECT item_id, old_value FROM signal_log WHERE name = ? AND version > ? AND version <= ? ORDER BY version').raw().all(name, from, to) as [number, number | null][];
      if (log.length !== to - from) return null;
      // An item's first change since the copy carries its value in the copy (null: it had no row there).
      const first = new Map<number, number | null>();
      for (const [id, value] of log) if (!first.has(id)) first.set(id, value);
      const rows = this.valuesOf(name, [...first.keys()]);
      return { first, rows };
    })();
    if (!read) return null;
    const out = [...read.first].filter((e): e is [number, number] => e[1] !== null);
    const order = new Overlaid(old, baseVersion, entries(out), entries(read.rows));
    catchUps.overlaid++;
    this.keep(name, version, order);
    this.saveLater(name);
    return order;
  }

  /**
   * Writes the signal's copy to its file for the next process, SAVE_DELAY_MS after the first catch-up since (at once
   * when a caller waits in `idle`), as it is then: an overlaid copy is read whole and merged (60–120 ms at 1M items),
   * which a burst of writes pays once, not per write. Not while the signal is read again (that read writes the file).
   */
  private saveLater(name: string): void {
    if (!this.dir || this.reading.has(name) || this.saving.has(name)) return;
    const dir = this.dir;
    const save = new Promise<void>((resolve) => {
      const timer = setTimeout(now, SAVE_DELAY_MS).unref();
      const flushes = this.flushes;
      function now() {
        clearTimeout(timer);
        flushes.delete(now);
        resolve();
      }
      flushes.add(now);
    }).then(() => {
      const kept = this.signals.get(name);
      if (!kept || !this.db.open || this.db.inTransaction || kept.version !== this.version([`signal:${name}`])) return;
      let order = kept.value;
      // The file the overlay's base was opened from stays: a process opening it catches up from the log (`open`),
      // until the log is half spent.
      if (order instanceof Overlaid && order.base instanceof SortedCopy && Number(kept.version) - Number(order.baseVersion) <= LOG_RING / 2) return;
      if (order instanceof Overlaid) {
        const { base, in_: now } = order;
        if (!readWhole(base)) return;
        const changed = Bits.fromIds([...order.out.ids, ...now.ids]);
        // In place in the base's arrays: the overlay is replaced at once, and nothing else holds the base.
        order = merge(base, changed, Array.from(now.ids, (id, k): [number, number] => [id, now.values[k]]));
        this.keep(name, kept.version, order);
      }
      saveSortedFile(dir, name, Number(kept.version), order);
    });
    this.saving.set(name, save.finally(() => this.saving.delete(name)));
  }

  /**
   * Opens a signal's file (sorted-file.ts: its blocks read when a count needs them) and keeps it. A file written a few
   * versions ago (this or another process wrote the signal since, and the file was left to be caught up: `saveLater`)
   * is opened at its version and caught up from signal_log; one further behind than the log reaches is not used.
   */
  private open(dir: string, name: string, version: string): KeptOrder | null {
    const now = Number(version);
    const behind = (at: number) => at === now || (at < now && now - at <= LOG_RING && !this.db.inTransaction);
    const copy = openSortedFile(dir, name, behind, sortedBudget());
    if (copy?.open) this.files.add(copy);
    if (!copy || copy.version === now) {
      if (copy) this.keep(name, version, copy);
      else this.fileTried.set(name, version);
      return copy;
    }
    const caught = this.patch(name, { version: String(copy.version), value: copy }, version);
    this.release();
    if (!caught) this.fileTried.set(name, version);
    return caught;
  }

  /** Closes the files of copies no longer kept (dropped for the budget, stale, damaged) or read whole. */
  private release(): void {
    const kept = new Set([...this.signals.values()].map((e) => baseOf(e.value)));
    for (const copy of this.files) {
      if (kept.has(copy) && copy.open) continue;
      copy.close();
      this.files.delete(copy);
    }
  }

  /** Closes every copy's file (the project closes). */
  close(): void {
    for (const copy of this.files) copy.close();
    this.files.clear();
  }

  /**
   * Opens the files of the signals' sorted copies that are current, the most recently written first, at most
   * MAX_SIGNALS within sortedBudget(): called when a project opens, so the first recount finds them open and reads
   * only the blocks it needs.
   */
  preload(): void {
    if (!this.dir || !this.db.open || this.db.inTransaction) return;
    const dir = this.dir;
    const budget = sortedBudget();
    // A signal written only before change_versions existed (migration 26) has no key there, only its file.
    let files: string[] = [];
    try {
      files = readdirSync(dir).map(signalOfFile).filter((n): n is string => n !== null);
    } catch { /* no folder yet */ }
    const keyed = this.db.prepare(`SELECT substr(key, 8) FROM change_versions WHERE key LIKE 'signal:%'`).pluck().all() as string[];
    const names = [...new Set([...keyed, ...files])]
      .filter((name) => !this.signals.has(name))
      .map((name) => ({ name, file: sortedFileStat(dir, name) }))
      .filter((f) => f.file !== null)
      .sort((a, b) => b.file!.mtimeMs - a.file!.mtimeMs);
    let opened = 0;
    let bytes = 0;
    for (const { name, file } of names) {
      // The file's size bounds the copy's (its header is a few dozen bytes).
      if (opened === MAX_SIGNALS || bytes + file!.bytes > budget) continue;
      bytes += file!.bytes;
      if (this.open(dir, name, this.version([`signal:${name}`]))) opened++;
    }
    // The counts' kernel (chunked-tally.ts) compiled now rather than in the first recount.
    if (opened > 0) tallyKernel();
  }

  /** The signals whose copies are open on their files (not read whole yet). */
  openFiles(): string[] {
    return [...this.signals].filter(([, e]) => this.files.has(baseOf(e.value) as SortedCopy) && (baseOf(e.value) as SortedCopy).open).map(([name]) => name);
  }

  /** Whether every threshold rule in `list` can be counted from a sorted copy now (starts reading those that cannot). */
  ready(list: readonly CompiledRule[]): boolean {
    return list.filter((c) => c.range && c.source !== null).map((c) => this.signalOrder(c.range!.signal) !== null).every(Boolean);
  }

  /** Resolves when no sorted copy is being read (benchmarks and tests wait for it; the app never does). */
  async idle(): Promise<void> {
    // The reads wait on unref'd timers (a CLI exits without waiting for them); whoever waits keeps the process up.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      while (this.reading.size > 0 || this.saving.size > 0) {
        for (const now of [...this.flushes]) now();
        await Promise.all([...this.reading.values(), ...this.saving.values()]);
      }
    } finally {
      clearInterval(keepAlive);
    }
  }

  private warm(name: string): Promise<void> {
    let p = this.reading.get(name);
    if (!p) this.reading.set(name, (p = this.readSorted(name).catch(() => {}).finally(() => this.reading.delete(name))));
    return p;
  }

  /**
   * Reads the signal in keyset chunks between event-loop turns, so a request arriving meanwhile is answered. Kept
   * only when the signal's version is the same after the last chunk as before the first: no write landed between
   * chunks (each chunk is its own snapshot).
   */
  private async readSorted(name: string): Promise<void> {
    const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0).unref());
    await tick();
    // Versions only grow outside transactions (a rolled-back write takes its bumps back, and a later write could
    // reach the same number), so every read here happens outside one.
    if (!this.db.open || this.db.inTransaction) return;
    const version = this.version([`signal:${name}`]);
    const budget = sortedBudget();
    const CHUNK = chunkRows();
    const first = this.db.prepare(`SELECT item_id, value FROM signals WHERE name = ? ORDER BY value, item_id LIMIT ${CHUNK}`).raw();
    const next = this.db.prepare(`SELECT item_id, value FROM signals WHERE name = ? AND (value, item_id) > (?, ?) ORDER BY value, item_id LIMIT ${CHUNK}`).raw();
    let values = new Float64Array(CHUNK);
    let ids = new Int32Array(CHUNK);
    let k = 0;
    for (;;) {
      if (k > 0) await tick();
      if (!this.db.open || this.db.inTransaction) return;
      const rows = (k === 0 ? first.all(name) : next.all(name, values[k - 1], ids[k - 1])) as [number, number][];
      if ((k + rows.length) * 12 > budget) {
        this.tooLarge.set(name, version);
        return;
      }
      if (k + rows.length > values.length) {
        values = grow(values, new Float64Array(Math.max(values.length * 2, k + rows.length)));
        ids = grow(ids, new Int32Array(values.length));
      }
      for (const [id, value] of rows) {
        ids[k] = id;
        values[k++] = value;
      }
      if (rows.length < CHUNK) break;
    }
    if (this.version([`signal:${name}`]) !== version) return;
    const order = { values: values.slice(0, k), ids: ids.slice(0, k) };
    this.keep(name, version, order);
    // For the next process that opens the project (and this one, after the copy is dropped for the budget).
    if (this.dir) {
      saveSortedFile(this.dir, name, Number(version), order);
      this.fileTried.delete(name);
    }
  }

  /** Keeps a sorted copy read at `version`, within MAX_SIGNALS and the byte budget (least recently used dropped first). */
  private keep(name: string, version: string, order: KeptOrder): void {
    store(this.db, this.signals, name, { version, value: order }, MAX_SIGNALS);
    const budget = sortedBudget();
    let bytes = [...this.signals.values()].reduce((n, e) => n + orderBytes(e.value), 0);
    for (const [key, e] of this.signals) {
      if (bytes <= budget || key === name) break;
      this.signals.delete(key);
      bytes -= orderBytes(e.value);
    }
    this.release();
  }

  /** How many items have the signal (from the sorted copy when there is one). */
  signalCount(name: string): number {
    const order = this.signalOrder(name);
    return order ? orderLength(order) : (this.db.prepare('SELECT count(*) FROM signals WHERE name = ?').pluck().get(name) as number);
  }

  /**
   * Ids a SQL source yields, cached until one of `keys` (change_versions keys of what it reads) changes; `saved`:
   * also on disk for the next process (a rule's join, not the manual decisions or a threshold's SQL fallback,
   * whose files would be rewritten after every click or left for threshold values never asked again).
   */
  sourceBits(sql: string, keys: readonly string[], saved = false): Bits {
    const version = this.version(keys);
    const hit = remember(this.sources, sql, version);
    if (hit) return hit;
    // Not from inside a transaction: the version seen there may be rolled back (see readSorted).
    const dir = saved && !this.db.inTransaction ? this.dir : null;
    const file = dir && loadBitsFile(dir, sql, version);
    let bits = file ? new Bits(file.words, file.count) : null;
    if (!bits) {
      const ids = this.db.prepare(sql).pluck().all() as number[];
      bits = Bits.fromIds(Int32Array.from(ids));
      // For the next process (a duplicate rule's join costs 10–50 ms at 1M items; small sources are not worth a file).
      if (dir && ids.length >= SAVED_SOURCE_ROWS) saveBitsFile(dir, sql, version, bits.words, bits.count());
    }
    store(this.db, this.sources, sql, { version, value: bits }, MAX_SOURCES);
    return bits;
  }

  /** A threshold rule's [from, to) in its signal's sorted values, or null when the signal is not kept sorted. */
  private range(c: CompiledRule): { order: KeptOrder; from: number; to: number } | null {
    const order = c.range ? this.signalOrder(c.range.signal) : null;
    const range = order && c.range ? removedRange(order, c.range.keepOp, c.range.threshold) : null;
    return range && { order: order!, from: range[0], to: range[1] };
  }

  /** What one compiled rule removes (enabled or not). */
  ruleBits(c: CompiledRule): Bits {
    if (c.source === null) return Bits.empty();
    const r = this.range(c);
    const bits = r && (r.order instanceof Overlaid ? this.overlaidBits(c, r.order, r.from, r.to) : this.rangeBits(c.range!.signal, r.order, r.from, r.to, this.version([`signal:${c.range!.signal}`])));
    if (bits) return bits;
    return c.range ? this.sourceBits(c.source, [`signal:${c.range.signal}`]) : this.sourceBits(c.source, c.tables.map((t) => `table:${t}`), true);
  }

  /** The ids at positions [from, to) of a signal's copy at `version` (null: a damaged block of its file). */
  private rangeBits(signal: string, order: SignalOrder, from: number, to: number, version: string): Bits | null {
    // A recount asks for the same rule's bits several times (count, evaluation): keep the last few ranges.
    const key = `range:${signal}:${from}:${to}`;
    const hit = remember(this.sources, key, version);
    if (hit) return hit;
    // A copy opened from its file reads the range from its prefix bitsets and blocks (a damaged one: SQL).
    const words = rangeWords(order, from, to);
    if (!words) return null;
    // A signal has one value per item, so the range's ids are distinct: its count is its length.
    const bits = new Bits(words, to - from);
    store(this.db, this.sources, key, { version, value: bits }, MAX_SOURCES);
    return bits;
  }

  /**
   * A threshold rule's ids at [from, to) of a copy overlaid with a write (signal-overlay.ts): its base copy's range
   * for the same threshold, with the changed items' bits flipped (null: a damaged block of the base's file).
   */
  private overlaidBits(c: CompiledRule, order: Overlaid, from: number, to: number): Bits | null {
    const { signal, keepOp, threshold } = c.range!;
    const key = `overlaid:${signal}:${from}:${to}`;
    const version = this.version([`signal:${signal}`]);
    const hit = remember(this.sources, key, version);
    if (hit) return hit;
    const range = removedRange(order.base, keepOp, threshold);
    const base = range && this.rangeBits(signal, order.base, range[0], range[1], order.baseVersion);
    if (!base) return null;
    const bits = new Bits(order.adjust(base.words, threshold, keepOp === '>' || keepOp === '<=', keepOp === '>' || keepOp === '>='), to - from);
    store(this.db, this.sources, key, { version, value: bits }, MAX_SOURCES);
    return bits;
  }

  /** How many items one rule removes; a threshold rule without building its bits. */
  ruleCount(c: CompiledRule): number {
    if (c.source === null) return 0;
    const r = this.range(c);
    return r ? r.to - r.from : this.ruleBits(c).count();
  }

  manualKept(): Bits {
    return this.sourceBits(MANUAL_KEPT, ['table:manual_decisions']);
  }

  manualExcluded(): Bits {
    return this.sourceBits(MANUAL_EXCLUDED, ['table:manual_decisions']);
  }

  /**
   * Counts of the enabled rules' removed sets (`tally`), kept for the last few lists of the same sets: a recount asks
   * for the same union from items.count and selection.evaluate, and again on each refresh. A threshold rule whose bits
   * are not built yet is streamed from its copy's file (`countedPart`) instead of built for the count. `extra` sets
   * (the decisions by hand) are counted after the rules: what each adds to the rules' union; a few of them are looked
   * up item by item against the rules' own tally (`lookUpExtra`), which a decision by hand leaves as it was.
   */
  tally(enabled: readonly CompiledRule[], extra: readonly Bits[] = []): Tally {
    const rules = enabled.map((c) => this.countedPart(c));
    const parts = [...rules, ...extra.map((b): Part => ({ key: b, bits: b, words: b.words.length }))];
    return this.cachedTally(parts.map((p) => p.key), () => {
      const looked = extra.length > 0 && lookUpPays(parts, extra) ? this.lookUpExtra(enabled, rules, extra) : null;
      return looked ?? this.countParts(enabled, parts, extra);
    });
  }

  /** The tally kept under `keys` (the sets' identities), else `count`'s, kept under the keys of the sets it counted (least recently used dropped). */
  private cachedTally(keys: readonly (Bits | string)[], count: () => { value: Tally; keys: (Bits | string)[] }): Tally {
    const at = this.tallies.findIndex((t) => t.keys.length === keys.length && t.keys.every((k, i) => k === keys[i]));
    // The most recently used first: the rules' own tally, which every click's decided tally starts from, stays kept.
    if (at >= 0) {
      const [hit] = this.tallies.splice(at, 1);
      this.tallies.unshift(hit);
      return hit.value;
    }
    const { value, keys: used } = count();
    this.tallies.unshift({ keys: used, value });
    this.tallies.length = Math.min(this.tallies.length, MAX_TALLIES);
    return value;
  }

  /**
   * The tally of `parts` in one pass over their words, the streamed ones read from their copies' files (a range that is
   * cheaper as ids than as prefix bitsets is built: `ruleBits`).
   */
  private countParts(enabled: readonly CompiledRule[], parts: readonly Part[], extra: readonly Bits[]): { value: Tally; keys: (Bits | string)[] } {
    const sets = parts.map((p) => p.bits ?? p.stream!() ?? this.ruleBits(p.lookup!.rule));
    // Nothing streamed: these are the rules' bits and `extra` already, as countBits would gather them.
    if (sets.every((set) => set instanceof Bits)) return { value: chunkedTally(sets)!, keys: sets as Bits[] };
    const streamed = chunkedTally(sets);
    if (!streamed) return this.countBits(enabled, extra);
    streamedTallies.counted++;
    return { value: streamed, keys: parts.map((p) => p.key) };
  }

  /**
   * The tally of the rules' bits (`ruleBits`) and `extra`, where a streamed part was found damaged (its copy is then
   * dropped, and its rule counted from SQL).
   */
  private countBits(enabled: readonly CompiledRule[], extra: readonly Bits[]): { value: Tally; keys: Bits[] } {
    const sets = [...enabled.map((c) => this.ruleBits(c)), ...extra];
    return { value: chunkedTally(sets)!, keys: sets };
  }

  /**
   * The tally of the rules then `extra`, from the rules' own tally (kept, or counted now and kept) and the extra sets'
   * ids, each asked whether a rule removes it: a rule's bits answer at once, a threshold rule streamed from its copy's
   * file compares the items' values (read by primary key) with its threshold. Null when a streamed rule's signal was
   * written since its part was taken (the caller streams everything).
   */
  private lookUpExtra(enabled: readonly CompiledRule[], rules: readonly Part[], extra: readonly Bits[]): { value: Tally; keys: (Bits | string)[] } | null {
    const base = this.cachedTally(rules.map((p) => p.key), () => this.countParts(enabled, rules, []));
    const ids = [...new Set(extra.flatMap((b) => b.ids()))];
    const removed = this.removedAmong(rules, ids);
    if (!removed) return null;
    lookedUpTallies.counted++;
    return { value: withExtra(base, (id) => removed.has(id), extra), keys: [...rules.map((p) => p.key), ...extra] };
  }

  /** Which of `ids` the rules' parts remove (null: a streamed rule's signal is no longer at its part's version). */
  private removedAmong(rules: readonly Part[], ids: readonly number[]): Set<number> | null {
    const out = new Set<number>();
    for (const { bits } of rules) if (bits) for (const id of ids) if (bits.has(id)) out.add(id);
    const streamed = rules.flatMap((p) => (p.lookup ? [p.lookup] : []));
    if (streamed.length === 0 || ids.length === 0) return out;
    const values = new Map<string, [number, number][]>();
    // One snapshot for the versions and the values: a write from another connection may land between statements.
    const current = this.db.transaction(() => streamed.every(({ rule, version }) => {
      const { signal, keepOp, threshold } = rule.range!;
      if (this.version([`signal:${signal}`]) !== version) return false;
      if (!values.has(signal)) values.set(signal, this.valuesOf(signal, ids));
      for (const [id, value] of values.get(signal)!) if (!KEEPS[keepOp](value, threshold)) out.add(id);
      return true;
    }))();
    return current ? out : null;
  }

  /** The (item, value) rows of `ids` that have the signal, by primary key (the planner otherwise walks the name's whole value index). */
  private valuesOf(signal: string, ids: readonly number[]): [number, number][] {
    return this.valuesStmt.all(JSON.stringify(ids), signal) as [number, number][];
  }

  /**
   * What a tally counts of one rule: its bits when built (or cheap to build), else its threshold range in its copy's
   * file, keyed by range and version (the same range at the same version is the same set), streamed when counted;
   * `words` from the copy's length (ids about as many).
   */
  private countedPart(c: CompiledRule): Part {
    const r = c.source !== null ? this.range(c) : null;
    const base = r && baseOf(r.order);
    if (r && base instanceof SortedCopy) {
      const overlaid = r.order instanceof Overlaid ? r.order : null;
      const signal = c.range!.signal;
      const version = this.version([`signal:${signal}`]);
      const key = `${overlaid ? 'overlaid' : 'range'}:${signal}:${r.from}:${r.to}`;
      if (!this.sources.has(key)) {
        const stream = () => (overlaid ? this.overlaidStream(c, overlaid, r.from, r.to) : base.rangeStream(r.from, r.to));
        return { key: `${key}@${version}`, stream, words: wordsFor(orderLength(r.order)), lookup: { rule: c, version } };
      }
    }
    const bits = this.ruleBits(c);
    return { key: bits, bits, words: bits.words.length };
  }

  /** overlaidBits streamed: the base's range for the threshold, with the overlay's flips as more fixes. */
  private overlaidStream(c: CompiledRule, order: Overlaid, from: number, to: number): StreamedSet | null {
    const { keepOp, threshold } = c.range!;
    const range = removedRange(order.base, keepOp, threshold);
    const base = range && order.base instanceof SortedCopy ? order.base.rangeStream(range[0], range[1]) : null;
    if (!base) return null;
    const { clear, set } = order.flips(threshold, keepOp === '>' || keepOp === '<=', keepOp === '>' || keepOp === '>=');
    return {
      length: Math.max(base.length, wordsFor(maxId(set))),
      count: to - from,
      fill: (w, out) => base.fill(w, out),
      fixes: [...base.fixes, { set: false, each: (use) => (use(clear, 0, clear.length), true) }, { set: true, each: (use) => (use(set, 0, set.length), true) }],
      verify: () => base.verify(),
    };
  }

  /** Union of what the enabled rules remove. */
  enabledBits(list: readonly CompiledRule[]): Bits {
    return list.filter((c) => c.rule.enabled && c.source !== null).reduce((acc, c) => acc.or(this.ruleBits(c)), Bits.empty());
  }
}

/**
 * `old` without the `changed` items, merged with their `rows` now (both in (value, item) order). In place in the old
 * arrays (the stale copy is dropped) unless the copy grows: fresh pages for 12 MB cost tens of ms on the bench VM.
 */
function merge(old: SignalOrder, changed: Bits, rows: [number, number][]): SignalOrder {
  const n = old.values.length;
  let kept = 0;
  // Compacts the kept entries to the front (the write position never passes the read position).
  for (let k = 0; k < n; k++) {
    if (changed.has(old.ids[k])) continue;
    old.values[kept] = old.values[k];
    old.ids[kept++] = old.ids[k];
  }
  const size = kept + rows.length;
  const values = size <= n ? old.values.subarray(0, size) : new Float64Array(size);
  const ids = size <= n ? old.ids.subarray(0, size) : new Int32Array(size);
  if (size > n) {
    values.set(old.values.subarray(0, kept));
    ids.set(old.ids.subarray(0, kept));
  }
  // From the back: the write position never falls below the kept entries not yet placed.
  let [k, r] = [kept - 1, rows.length - 1];
  for (let out = size - 1; r >= 0; out--) {
    if (k >= 0 && (values[k] > rows[r][1] || (values[k] === rows[r][1] && ids[k] > rows[r][0]))) {
      values[out] = values[k];
      ids[out] = ids[k--];
    } else {
      values[out] = rows[r][1];
      ids[out] = rows[r--][0];
    }
  }
  return { values, ids };
}

function remember<T>(map: Map<string, Cached<T>>, key: string, version: string): T | undefined {
  const hit = map.get(key);
  if (!hit) return undefined;
  map.delete(key);
  if (hit.version !== version) return undefined;
  map.set(key, hit);
  return hit.value;
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function store<T>(db: Db, map: Map<string, Cached<T>>, key: string, entry: Cached<T>, max: number): void {
  // Inside a transaction the rows read may be this connection's uncommitted writes: a rollback would take the
  // version back to a number a later, different write reaches again. Such reads are used once, not kept.
  if (db.inTransaction) return;
  map.set(key, entry);
  while (map.size > max) map.delete(map.keys().next().value!);
}

const perDb = new WeakMap<Db, RemovedSets>();

/** The database's one cache (per connection, so per project). */
export function removedSets(db: Db): RemovedSets {
  let sets = perDb.get(db);
  if (!sets) perDb.set(db, (sets = new RemovedSets(db)));
  return sets;
}
