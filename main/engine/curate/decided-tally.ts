// Counts with decisions by hand, after a click. A decision changes only the extra sets of a recount's tally (the items
// excluded and kept by hand: removed-sets.ts `tally(enabled, [excluded, kept])`), not the rules' own sets; streaming
// the rules' ranges again for it (reading and hashing 2 × 125 KB of prefix bitsets at 1M items) bounded the first
// recount after a click. So the rules' tally is kept from the recount before, and each decided item is asked whether a
// rule removes it: a cost in decisions, not in items. Past a cut-over (a bulk decision) streaming is cheaper again.

import type { Tally } from './chunked-tally';

/** A set of item ids (removed-sets.ts Bits). */
interface IdSet { has(id: number): boolean; ids(): number[]; count(): number }

/**
 * The tally of the rules then `extra`, as chunkedTally counts it, from `rules` (the rules' own tally) and `removed`
 * (whether a rule removes an item of the extra sets): each extra set's own count, and what it adds to the rules' union
 * and the extra sets before it.
 */
export function withExtra(rules: Tally, removed: (id: number) => boolean, extra: readonly IdSet[]): Tally {
  const alone = [...rules.alone];
  const cumulative = [...rules.cumulative];
  let union = rules.union;
  extra.forEach((set, k) => {
    const before = extra.slice(0, k);
    let added = 0;
    for (const id of set.ids()) if (!removed(id) && !before.some((earlier) => earlier.has(id))) added++;
    alone.push(set.count());
    cumulative.push(added);
    union += added;
  });
  return { alone, cumulative, union };
}

/**
 * The costs, in words of a streamed tally (a set's 32-bit word), from `npm run bench:decided-cutover` (load ~6.5):
 * looking one decided item up in one signal (a row read by primary key: 5–6 µs at 1M items, pages mostly cold) is
 * ~600 words (~9 ns a word streamed at 1M: 2.0 ms for 5 sets × 31,250 words); setting a streamed tally up (its streams'
 * hashes and files, the kernel's calls: 0.5–0.7 ms at 1k items) ~60,000 words, whatever its length. So at 1M items the
 * lookups pay up to ~180 decided items (measured: 100 looked up 1.8 ms vs streamed 2.1 ms; 300: 4.1 vs 2.2 ms).
 * `forced`: always (true) or never (false) look up, for that bench and the tests.
 */
export const cutover = { wordsPerLookup: 600, wordsPerTally: 60_000, forced: null as boolean | null };

/**
 * Whether `decided` items looked up in `signals` signals cost less than a streamed tally of `sets` sets of `words` words.
 * A rule's bits answer for an item with a bit test, about a word's cost.
 */
export function lookUpCheaper(decided: number, signals: number, sets: number, words: number): boolean {
  if (cutover.forced !== null) return cutover.forced;
  return decided * (signals * cutover.wordsPerLookup + 1) <= cutover.wordsPerTally + sets * words;
}
