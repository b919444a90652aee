// A signal's sorted copy after a small write, without reading the copy again: the copy as it was (often opened on its
// file, read block by block) plus the changed items' entries, the ones they had in it (out) and the ones they have now
// (in). A threshold rule's removed set is a prefix or suffix of the sorted order by value, so its size is the copy's
// minus the entries out on that side plus those in, and its ids are the copy's range with those few bits flipped.
// Catching up by reading the copy whole and merging cost 60–120 ms at 1M items (the read and its SHA-256 checks); this
// costs about what the changed items cost. removed-sets.ts builds it from signal_log (migrations 30, 31: an item logged
// with no old value had no row in the copy, so an insert is an entry put in) and rewrites the
// copy's file later.
import { countOf, type SignalOrder } from './sorted-file';

/** Entries sorted by (value, item). */
export interface Entries { values: Float64Array; ids: Int32Array }

/** How many of the ascending `values` are < t (`strict`: ≤ t). */
export function below(values: Float64Array, t: number, strict: boolean): number {
  let [lo, hi] = [0, values.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (strict ? values[mid] <= t : values[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Entries from [item, value] pairs, sorted. */
export function entries(rows: [number, number][]): Entries {
  rows.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  return { values: Float64Array.from(rows, (r) => r[1]), ids: Int32Array.from(rows, (r) => r[0]) };
}

export class Overlaid {
  /**
   * `base`: the copy at change version `baseVersion` (not changed while this exists); `out`: entries of `base` the
   * write changed or deleted; `in`: the changed items' entries now.
   */
  constructor(readonly base: SignalOrder, readonly baseVersion: string, readonly out: Entries, readonly in_: Entries) {}

  get length(): number {
    return countOf(this.base) - this.out.values.length + this.in_.values.length;
  }

  /** Items changed since the base. */
  get changed(): number {
    return new Set([...this.out.ids, ...this.in_.ids]).size;
  }

  /** The position of the first value ≥ t (`strict`: > t) here, from its position `baseAt` in the base. */
  at(baseAt: number, t: number, strict: boolean): number {
    return baseAt - below(this.out.values, t, strict) + below(this.in_.values, t, strict);
  }

  /**
   * The ids of the values < t (`strict`: ≤ t; `prefix` false: the others) here, as bit words, from those of the base
   * (`words`, not changed): the entries out on that side cleared, then those in set (an item may be in both).
   */
  adjust(words: Uint32Array, t: number, strict: boolean, prefix: boolean): Uint32Array {
    const { clear, set } = this.flips(t, strict, prefix);
    let max = words.length;
    for (const id of set) max = Math.max(max, (id >>> 5) + 1);
    const out = new Uint32Array(max);
    out.set(words);
    for (const id of clear) if ((id >>> 5) < out.length) out[id >>> 5] &= ~(1 << (id & 31));
    for (const id of set) out[id >>> 5] |= 1 << (id & 31);
    return out;
  }

  /** The ids `adjust` clears (entries out on that side), then sets (entries in on it): a streamed count applies them itself. */
  flips(t: number, strict: boolean, prefix: boolean): { clear: Int32Array; set: Int32Array } {
    const side = (e: Entries) => {
      const cut = below(e.values, t, strict);
      return prefix ? e.ids.subarray(0, cut) : e.ids.subarray(cut);
    };
    return { clear: side(this.out), set: side(this.in_) };
  }

  /**
   * The k-th smallest value here (null: a damaged base block), given the base's k-th value and its count of values
   * ≤ v. How many values here are ≤ v grows with v: the answer is the smallest base or in-entry value whose count
   * exceeds k (a smallest one that is only an out-entry's value has a smaller value here with the same count).
   */
  valueAt(k: number, baseValue: (p: number) => number | null, baseAtMost: (v: number) => number | null): number | null {
    if (k < 0 || k >= this.length) return null;
    let damaged = false;
    const enough = (v: number) => {
      const n = baseAtMost(v);
      if (n === null) damaged = true;
      return (n ?? 0) - below(this.out.values, v, true) + below(this.in_.values, v, true) > k;
    };
    const smallest = (n: number, value: (p: number) => number | null) => {
      let [lo, hi] = [0, n];
      while (lo < hi && !damaged) {
        const mid = (lo + hi) >>> 1;
        const v = value(mid);
        if (v === null) damaged = true;
        else if (enough(v)) hi = mid;
        else lo = mid + 1;
      }
      return lo < n ? value(lo) : null;
    };
    const fromBase = smallest(countOf(this.base), baseValue);
    const fromIn = smallest(this.in_.values.length, (p) => this.in_.values[p]);
    if (damaged) return null;
    const found = [fromBase, fromIn].filter((v): v is number => v !== null);
    return found.length ? Math.min(...found) : null;
  }
}
