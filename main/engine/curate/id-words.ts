// Item ids as bits in 32-bit words (id >>> 5 is the word, id & 31 the bit): the layout of removed-sets.ts's Bits and
// of the prefix bitsets a sorted copy's file keeps (sorted-file.ts).

/** The largest of ids[from, to), or -1 when there are none. */
export function maxId(ids: ArrayLike<number>, from = 0, to = ids.length): number {
  let max = -1;
  for (let k = from; k < to; k++) if (ids[k] > max) max = ids[k];
  return max;
}

/** Words enough for ids up to `max` (none for -1: -1 >>> 5 would be 2^27 words, 512 MB). */
export const wordsFor = (max: number): number => (max < 0 ? 0 : (max >>> 5) + 1);

/** Sets the bits of ids[from, to) in `words`. */
export function setIds(words: Uint32Array, ids: ArrayLike<number>, from: number, to: number): void {
  for (let k = from; k < to; k++) words[ids[k] >>> 5] |= 1 << (ids[k] & 31);
}

/** Clears the bits of ids[from, to) in `words`. */
export function clearIds(words: Uint32Array, ids: ArrayLike<number>, from: number, to: number): void {
  for (let k = from; k < to; k++) words[ids[k] >>> 5] &= ~(1 << (ids[k] & 31));
}
