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
    let added = 0;
    for (const id of set.ids()) if (!removed(id) && !extra.slice(0, k).some((before) => before.has(id))) added++;
    alone.push(set.count());
    cumulative.push(added);
    union += added;
  });
  return { alone, cumulative, union };
}

/**
 * What looking one decided item up in one signal costs (a row read by primary key), in words of a streamed tally (a set's
 * 32-bit word): ~300, from `npm run bench:decided-cutover` at 1M items (310–320 at 1,000 and 10,000 decided items;
 * 100 decided items looked up cost as much as the streamed tally, 1,000 six times as much). Mutable for that bench and the
 * tests, which force either path.
 */
export const cutover = { wordsPerLookup: 300 };

/**
 * Whether `decided` items looked up in `signals` signals cost less than a streamed tally of `sets` sets of `words` words.
 * A rule's bits answer for an item with a bit test, about a word's cost.
 */
export function lookUpCheaper(decided: number, signals: number, sets: number, words: number): boolean {
  return decided * (signals * cutover.wordsPerLookup + 1) <= sets * words;
}
