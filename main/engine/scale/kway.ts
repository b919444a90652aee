// K-way merge of sorted streams: one pending value per open stream in a binary heap. A stream may carry a
// lower bound of its values (from its table's statistics) and is only opened when the merge reaches it:
// shards over disjoint key ranges (tars of sequential keys, row ranges) are then read one or two at a
// time, and only overlapping ones are open together. Memory: the open streams' buffers, never a table.

export interface Tagged<T> { value: T; stream: number }

export interface SortedInput<T> {
  /** Every value of the stream is ≥ this; absent: unknown (the stream is opened at the start). */
  lower?: T | null;
  open(): AsyncIterator<T>;
}

/** Values of every input in `compare` order; equal values come in input order (a stable merge). */
export async function* mergeSorted<T>(inputs: ReadonlyArray<SortedInput<T>>, compare: (a: T, b: T) => number): AsyncGenerator<Tagged<T>> {
  const heap: Tagged<T>[] = [];
  const iters = new Array<AsyncIterator<T> | undefined>(inputs.length);
  const less = (a: Tagged<T>, b: Tagged<T>) => { const c = compare(a.value, b.value); return c < 0 || (c === 0 && a.stream < b.stream); };
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  const push = async (stream: number) => {
    const n = await iters[stream]!.next();
    if (!n.done) { heap.push({ value: n.value, stream }); up(heap.length - 1); }
  };
  // Not yet opened, by lower bound (unknown bounds first, then input order on ties).
  const waiting = inputs.map((input, stream) => ({ lower: input.lower ?? null, stream }))
    .sort((a, b) => (a.lower === null ? -1 : 0) - (b.lower === null ? -1 : 0) || (a.lower !== null && b.lower !== null ? compare(a.lower, b.lower) : 0) || a.stream - b.stream);
  let next = 0;
  for (;;) {
    // Open every stream that could hold a value at or before the current smallest one.
    while (next < waiting.length && (heap.length === 0 || waiting[next].lower === null || compare(waiting[next].lower!, heap[0].value) <= 0)) {
      const { stream } = waiting[next++];
      iters[stream] = inputs[stream].open();
      await push(stream);
    }
    if (!heap.length) return;
    const top = heap[0];
    yield top;
    const n = await iters[top.stream]!.next();
    if (n.done) {
      iters[top.stream] = undefined;
      const last = heap.pop()!;
      if (heap.length) { heap[0] = last; down(0); }
    } else {
      heap[0] = { value: n.value, stream: top.stream };
      down(0);
    }
  }
}

/** Passes a stream through, failing with `why` when a value is out of order (an unsorted input would merge silently wrong). */
export async function* checkSorted<T>(it: AsyncIterable<T>, compare: (a: T, b: T) => number, why: string, allowEqual = false): AsyncGenerator<T> {
  let prev: T | undefined;
  for await (const v of it) {
    if (prev !== undefined && compare(prev, v) >= (allowEqual ? 1 : 0)) throw new Error(why);
    prev = v;
    yield v;
  }
}
