// K-way merge of sorted streams: one pending value per stream in a binary heap, so merging N sorted
// tables holds N values (and whatever row group each stream has decoded), never a table.

export interface Tagged<T> { value: T; stream: number }

/** Values of every stream in `compare` order; equal values come in stream order (a stable merge). */
export async function* mergeSorted<T>(streams: ReadonlyArray<AsyncIterator<T>>, compare: (a: T, b: T) => number): AsyncGenerator<Tagged<T>> {
  const heap: Tagged<T>[] = [];
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
  for (const [stream, it] of streams.entries()) {
    const n = await it.next();
    if (!n.done) { heap.push({ value: n.value, stream }); up(heap.length - 1); }
  }
  while (heap.length) {
    const top = heap[0];
    yield top;
    const n = await streams[top.stream].next();
    if (n.done) {
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
