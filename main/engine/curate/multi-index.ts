// Multi-index hashing (Norouzi et al., 2012) for "nearest stored 64-bit hash within Hamming distance k".
// Split the 64 bits into k+1 chunks: two hashes within k differ in at most k chunks, so at least one
// chunk matches exactly (pigeonhole). Each chunk has a table chunk value → entries, and a query only
// compares against entries sharing a chunk. A BK-tree was tried first: on 100k random hashes with k=6
// it visited most of the tree per query (6 minutes); this index takes about a second.
import { bits64, distance64, splitHash } from './hash64';

export class MultiIndex {
  private readonly chunks: { start: number; len: number }[] = [];
  private readonly tables: Map<number, number[]>[];
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private ids = new Float64Array(1024);
  private stamp = new Uint32Array(1024);
  private query = 0;
  size = 0;

  constructor(readonly k: number) {
    const parts = Math.min(64, k + 1);
    for (let p = 0, start = 0; p < parts; p++) {
      const len = Math.floor(64 / parts) + (p < 64 % parts ? 1 : 0);
      this.chunks.push({ start, len: Math.min(31, len) });
      start += len;
    }
    this.tables = this.chunks.map(() => new Map());
  }

  add(hex: string, id: number): void {
    const [hi, lo] = splitHash(hex);
    if (this.size === this.hi.length) this.grow();
    const e = this.size++;
    this.hi[e] = hi;
    this.lo[e] = lo;
    this.ids[e] = id;
    this.chunks.forEach((c, t) => {
      const key = bits64(hi, lo, c.start, c.len);
      const bucket = this.tables[t].get(key);
      if (bucket) bucket.push(e);
      else this.tables[t].set(key, [e]);
    });
  }

  /** The stored entry nearest to hex within k (ties: the one added first), or null. */
  nearest(hex: string): { id: number; distance: number } | null {
    const [hi, lo] = splitHash(hex);
    // A fresh stamp per query marks entries already compared (no Set allocation per query).
    if (++this.query === 0xffffffff) {
      this.stamp.fill(0);
      this.query = 1;
    }
    let best = -1;
    let bestD = this.k + 1;
    this.chunks.forEach((c, t) => {
      const bucket = this.tables[t].get(bits64(hi, lo, c.start, c.len));
      if (!bucket) return;
      for (const e of bucket) {
        if (this.stamp[e] === this.query) continue;
        this.stamp[e] = this.query;
        const d = distance64(hi, lo, this.hi[e], this.lo[e]);
        if (d < bestD || (d === bestD && e < best)) {
          best = e;
          bestD = d;
        }
      }
    });
    return best < 0 ? null : { id: this.ids[best], distance: bestD };
  }

  private grow(): void {
    const n = this.hi.length * 2;
    const copy = <T extends Uint32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.hi = copy(this.hi, (m) => new Uint32Array(m));
    this.lo = copy(this.lo, (m) => new Uint32Array(m));
    this.ids = copy(this.ids, (m) => new Float64Array(m));
    this.stamp = copy(this.stamp, (m) => new Uint32Array(m));
  }
}
