// A BK-tree over 64-bit hashes with Hamming distance: finds every stored hash within k of a query
// without comparing all pairs (the triangle inequality prunes whole subtrees), so perceptual dedup
// stays fast as datasets grow. Hashes are kept as two uint32 halves: no BigInt, no strings in the hot loop.

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

export function splitHash(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

export const distance64 = (aHi: number, aLo: number, bHi: number, bLo: number): number => popcount32((aHi ^ bHi) >>> 0) + popcount32((aLo ^ bLo) >>> 0);

interface Node { hi: number; lo: number; id: number; children: Map<number, Node> | null }

export class BkTree {
  private root: Node | null = null;
  size = 0;

  add(hex: string, id: number): void {
    const [hi, lo] = splitHash(hex);
    const node: Node = { hi, lo, id, children: null };
    this.size++;
    if (!this.root) {
      this.root = node;
      return;
    }
    let cur = this.root;
    for (;;) {
      const d = distance64(hi, lo, cur.hi, cur.lo);
      cur.children ??= new Map();
      const next = cur.children.get(d);
      if (!next) {
        cur.children.set(d, node);
        return;
      }
      cur = next;
    }
  }

  /** The stored entry nearest to hex within k (ties: the lowest id, i.e. first seen), or null. */
  nearest(hex: string, k: number): { id: number; distance: number } | null {
    if (!this.root) return null;
    const [hi, lo] = splitHash(hex);
    let best: { id: number; distance: number } | null = null;
    const stack: Node[] = [this.root];
    while (stack.length) {
      const node = stack.pop()!;
      const d = distance64(hi, lo, node.hi, node.lo);
      if (d <= k && (!best || d < best.distance || (d === best.distance && node.id < best.id))) best = { id: node.id, distance: d };
      if (!node.children) continue;
      for (const [edge, child] of node.children) if (edge >= d - k && edge <= d + k) stack.push(child);
    }
    return best;
  }
}
