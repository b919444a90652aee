// What rules remove, as bitsets over item ids, for counts (filter recount, evaluation, per-rule gallery).
// SQL counts over a rule's source grow with the rows it removes (a UNION of half a million ids took
// ~0.3–0.9 s on a 1M-item project); here a threshold rule is a binary search in its signal's values sorted
// once (the removed ids are a prefix or suffix of that order), a union is an OR of 32-bit words and a count
// is a popcount. Caches are checked against change_versions (migration 26, bumped by triggers on every
// write to the tables a rule reads), so a cache is never used stale, whichever process wrote.
import type { Db } from '../store/database';
import { MANUAL_EXCLUDED, MANUAL_KEPT } from '../store/manual';
import type { CompiledRule } from './rules';

/** Item ids as bits; arrays of different lengths combine as if padded with zeros. */
export class Bits {
  constructor(readonly words: Uint32Array) {}

  static empty(): Bits {
    return new Bits(new Uint32Array(0));
  }

  static fromIds(ids: ArrayLike<number>, from = 0, to = ids.length): Bits {
    let max = -1;
    for (let k = from; k < to; k++) if (ids[k] > max) max = ids[k];
    const words = new Uint32Array((max >>> 5) + 1);
    for (let k = from; k < to; k++) words[ids[k] >>> 5] |= 1 << (ids[k] & 31);
    return new Bits(max < 0 ? new Uint32Array(0) : words);
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

  count(): number {
    let n = 0;
    for (let k = 0; k < this.words.length; k++) {
      let v = this.words[k];
      v -= (v >>> 1) & 0x55555555;
      v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
      n += (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    return n;
  }
}

/** A signal's values in ascending order with the item each belongs to (ties in item order). */
export interface SignalOrder { values: Float64Array; ids: Int32Array }

/** Index of the first value ≥ t (`strict`: > t). */
function bound(values: Float64Array, t: number, strict: boolean): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? values[mid] <= t : values[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The positions [from, to) of a sorted signal that fail the keep-condition `value <op> t`. */
export function removedRange(values: Float64Array, op: '>' | '>=' | '<' | '<=', t: number): [number, number] {
  switch (op) {
    case '>': return [0, bound(values, t, true)];
    case '>=': return [0, bound(values, t, false)];
    case '<': return [bound(values, t, false), values.length];
    case '<=': return [bound(values, t, true), values.length];
  }
}

/**
 * Sorted signals kept at once: 12 bytes per item each (Float64 value + Int32 id), so four are ~48 MB on a
 * 1M-item project; the least recently used goes first. Bitsets of other sources are 1 bit per item id.
 */
const MAX_SIGNALS = 4;
const MAX_SOURCES = 16;

interface Cached<T> { version: string; value: T }

export class RemovedSets {
  private readonly signals = new Map<string, Cached<SignalOrder>>();
  private readonly sources = new Map<string, Cached<Bits>>();
  private readonly versionStmt;

  constructor(private readonly db: Db) {
    this.versionStmt = db.prepare('SELECT version FROM change_versions WHERE key = ?').pluck();
  }

  private version(keys: readonly string[]): string {
    return keys.map((k) => (this.versionStmt.get(k) as number | undefined) ?? 0).join(',');
  }

  /** The signal's values sorted ascending (read once per change of the signal). */
  signalOrder(name: string): SignalOrder {
    const version = this.version([`signal:${name}`]);
    const hit = remember(this.signals, name, version, MAX_SIGNALS);
    if (hit) return hit;
    // One statement, so one snapshot of the table; the version was read first, so a write landing in
    // between leaves this entry older than the data it holds and the next call reads it again.
    let values = new Float64Array(1024);
    let ids = new Int32Array(1024);
    let k = 0;
    // The (name, value) index gives the order; ties come in item order (the primary key is the index's tail).
    for (const [id, value] of this.db.prepare('SELECT item_id, value FROM signals WHERE name = ? ORDER BY value, item_id').raw().iterate(name) as Iterable<[number, number]>) {
      if (k === values.length) {
        values = grow(values, new Float64Array(k * 2));
        ids = grow(ids, new Int32Array(k * 2));
      }
      ids[k] = id;
      values[k++] = value;
    }
    const order = { values: values.slice(0, k), ids: ids.slice(0, k) };
    store(this.db, this.signals, name, { version, value: order }, MAX_SIGNALS);
    return order;
  }

  /** Ids a SQL source yields, cached until one of the tables it reads (`tables`) changes. */
  sourceBits(sql: string, tables: readonly string[]): Bits {
    const version = this.version(tables.map((t) => `table:${t}`));
    const hit = remember(this.sources, sql, version, MAX_SOURCES);
    if (hit) return hit;
    const bits = Bits.fromIds(Int32Array.from(this.db.prepare(sql).pluck().all() as number[]));
    store(this.db, this.sources, sql, { version, value: bits }, MAX_SOURCES);
    return bits;
  }

  /** What one compiled rule removes (enabled or not). */
  ruleBits(c: CompiledRule): Bits {
    if (c.source === null) return Bits.empty();
    if (c.range) {
      const order = this.signalOrder(c.range.signal);
      const [from, to] = removedRange(order.values, c.range.keepOp, c.range.threshold);
      return Bits.fromIds(order.ids, from, to);
    }
    return this.sourceBits(c.source, c.tables);
  }

  /** How many items a threshold rule removes, without building its bits. */
  ruleCount(c: CompiledRule): number {
    if (c.source === null) return 0;
    if (!c.range) return this.ruleBits(c).count();
    const [from, to] = removedRange(this.signalOrder(c.range.signal).values, c.range.keepOp, c.range.threshold);
    return to - from;
  }

  manualKept(): Bits {
    return this.sourceBits(MANUAL_KEPT, ['manual_decisions']);
  }

  manualExcluded(): Bits {
    return this.sourceBits(MANUAL_EXCLUDED, ['manual_decisions']);
  }

  /** Union of what the enabled rules remove. */
  enabledBits(list: readonly CompiledRule[]): Bits {
    return list.filter((c) => c.rule.enabled && c.source !== null).reduce((acc, c) => acc.or(this.ruleBits(c)), Bits.empty());
  }
}

function remember<T>(map: Map<string, Cached<T>>, key: string, version: string, _max: number): T | undefined {
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
