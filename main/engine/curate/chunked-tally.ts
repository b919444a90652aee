// The counts a recount needs from a list of removed sets (each set's own count, what it adds to those before it, and
// their union), in one pass over their words a chunk at a time. A set is either its words or streamed: words filled
// chunk by chunk (a threshold rule's prefix bitsets read from its sorted copy's file, sorted-file.ts) and corrected by
// a few thousand ids. At 1M items a first recount built a 125 KB bitset per threshold rule for this, into pages touched
// for the first time, and the word loops ran interpreted (V8 had not optimized them yet: ~5–9 ms for three sets).
// Streamed, the words pass through a 16 KB slot per set in the WebAssembly kernel's memory (tally-kernel.ts), reused
// by every count, and the kernel applies the fixes and counts.

import { reserve, tallyKernel } from './tally-kernel';

/** Per set in order: its own count and what it adds to the sets before it; and the size of their union. */
export interface Tally { alone: number[]; cumulative: number[]; union: number }

/** A set's words, whole (a Bits). */
export interface WholeSet { readonly words: Uint32Array; count(): number }

/** Ids to set or clear in a streamed set's words, after its fill and the fixes before it; `each` yields them in runs (false: unreadable). */
export interface Fix { set: boolean; each(use: (ids: ArrayLike<number>, from: number, to: number) => void): boolean }

/** A set read chunk by chunk: `fill` is called once for each chunk of `length` words, in order (then `verify`). */
export interface StreamedSet {
  readonly length: number;
  readonly count: number;
  /** Words [w, w + out.length) before the fixes (zeros past `length`); false: unreadable. */
  fill(w: number, out: Uint32Array): boolean;
  readonly fixes: readonly Fix[];
  /** After the last chunk: whether everything filled checked out (the counts are returned only then). */
  verify(): boolean;
}

export type CountedSet = WholeSet | StreamedSet;

const isWhole = (s: CountedSet): s is WholeSet => 'words' in s;

/** Words per chunk: 16 KB (four pages) per set in the kernel's memory, reused by every count. */
const CHUNK = 4096;
const SLOT = CHUNK * 4;

/** The tally of `list` (null: a streamed set was unreadable or failed its check; nothing counted from it is returned). */
export function chunkedTally(list: readonly CountedSet[]): Tally | null {
  const alone = list.map((s) => (isWhole(s) ? s.count() : s.count));
  const cumulative = alone.map(() => 0);
  if (list.length <= 1) return { alone, cumulative: alone.slice(), union: alone[0] ?? 0 };
  cumulative[0] = alone[0];
  const lengths = list.map((s) => (isWhole(s) ? s.words.length : s.length));
  const n = Math.max(0, ...lengths);
  // The kernel's memory: a chunk slot per set, the counts, then the fixes' ids.
  const k = tallyKernel();
  const cum = list.length * SLOT;
  let at = cum + 4 * list.length;
  // Each run of a fix's ids, in order (a later fix may undo an earlier one's bit).
  const runs: { set: number; on: number; ids: number; count: number }[] = [];
  for (let s = 0; s < list.length; s++) {
    const set = list[s];
    if (isWhole(set)) continue;
    for (const fix of set.fixes) {
      const ok = fix.each((ids, from, to) => {
        reserve(k, at + 4 * (to - from));
        const run = ids instanceof Int32Array ? ids.subarray(from, to) : Int32Array.from({ length: to - from }, (_, j) => ids[from + j]);
        new Int32Array(k.memory.buffer, at, to - from).set(run);
        runs.push({ set: s, on: fix.set ? 1 : 0, ids: at, count: to - from });
        at += 4 * (to - from);
      });
      if (!ok) return null;
    }
  }
  reserve(k, at);
  const words = new Uint32Array(k.memory.buffer);
  words.fill(0, cum / 4, cum / 4 + list.length);
  for (let w = 0; w < n; w += CHUNK) {
    const size = Math.min(CHUNK, n - w);
    for (let s = 0; s < list.length; s++) {
      const set = list[s];
      const out = words.subarray((s * SLOT) / 4, (s * SLOT) / 4 + size);
      if (!isWhole(set)) {
        if (!set.fill(w, out)) return null;
        continue;
      }
      const part = set.words.subarray(Math.min(w, lengths[s]), Math.min(w + size, lengths[s]));
      out.set(part);
      out.fill(0, part.length);
    }
    for (const run of runs) k.fix(run.ids, run.count, w, size, run.set * SLOT, run.on);
    k.tally(list.length, size, SLOT, cum);
  }
  for (const set of list) if (!isWhole(set) && !set.verify()) return null;
  for (let s = 1; s < list.length; s++) cumulative[s] = words[cum / 4 + s];
  return { alone, cumulative, union: cumulative.reduce((a, b) => a + b, 0) };
}
