// The word loops of a tally (chunked-tally.ts) as a small WebAssembly module. A first recount runs before V8 optimizes
// any JavaScript: the same loops interpreted cost ~50–80 ns a word on the bench VM (5–9 ms for three 1M-item sets),
// while WebAssembly is compiled before its first call (baseline code, with a popcount instruction). The module is
// assembled here from its instructions (no toolchain at build time) and works on a memory the caller fills.

/** Instructions used below (WebAssembly binary format, MVP). */
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], if: [0x04, 0x40], end: 0x0b, br: 0x0c, brIf: 0x0d,
  get: 0x20, set: 0x21, tee: 0x22, load: [0x28, 0x02, 0x00], store: [0x36, 0x02, 0x00], const: 0x41,
  ltU: 0x49, geU: 0x4f, popcnt: 0x69, add: 0x6a, sub: 0x6b, and: 0x71, or: 0x72, xor: 0x73, shl: 0x74, shrU: 0x76,
};
const I32 = 0x7f;

/** Unsigned (and, for i32.const, small signed: -64..63) LEB128. */
function leb(n: number): number[] {
  if (n < 0) return [n & 0x7f];
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
const name = (s: string) => [...leb(s.length), ...Buffer.from(s)];
const vec = (items: number[][]) => [...leb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const get = (l: number) => [op.get, l];
const set = (l: number) => [op.set, l];
const tee = (l: number) => [op.tee, l];
const i32 = (n: number) => [op.const, ...leb(n)];
/** `local++` */
const inc = (l: number) => [...get(l), ...i32(1), op.add, ...set(l)];
/** A loop running `body` while local `k` < local `n` (unsigned); `body` must advance k. */
const whileBelow = (k: number, n: number, body: number[]) => [...op.block, ...op.loop, ...get(k), ...get(n), op.geU, op.brIf, 1, ...body, op.br, 0, op.end, op.end];
/** Address `base + index * 4` on the stack. */
const word = (base: number, index: number) => [...get(base), ...get(index), ...i32(2), op.shl, op.add];

// fix(ids, count, w0, n, target, set): for each of the `count` ids at `ids`, its bit in words [w0, w0 + n) at `target` set (set ≠ 0) or cleared.
const fix = { params: 6, locals: 4, body: (() => {
  const [ids, count, w0, n, target, on, k, id, w, at] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return whileBelow(k, count, [
    ...word(ids, k), ...op.load, ...set(id),
    ...get(id), ...i32(5), op.shrU, ...get(w0), op.sub, ...tee(w), ...get(n), op.ltU,
    ...op.if,
    ...word(target, w), ...set(at),
    ...get(at),
    ...get(on), 0x04, I32,
    ...get(at), ...op.load, ...i32(1), ...get(id), op.shl, op.or,
    0x05,
    ...get(at), ...op.load, ...i32(1), ...get(id), op.shl, ...i32(-1), op.xor, op.and,
    op.end,
    ...op.store,
    op.end,
    ...inc(k),
  ]);
})() };

// tally(sets, n, stride, cum): over words [0, n) of `sets` word arrays at 0, stride, 2·stride… (bytes), adds to the
// i32 cum[r] (r ≥ 1, at `cum`) the bits of set r in none of the sets before it.
const tally = { params: 4, locals: 7, body: (() => {
  const [sets, n, stride, cum, w, soFar, r, v, added, p, q] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  return whileBelow(w, n, [
    ...get(w), ...i32(2), op.shl, ...tee(p), ...op.load, ...set(soFar),
    ...i32(1), ...set(r),
    ...whileBelow(r, sets, [
      ...get(p), ...get(stride), op.add, ...tee(p), ...op.load, ...tee(v),
      ...get(soFar), ...i32(-1), op.xor, op.and, ...set(added),
      ...get(soFar), ...get(v), op.or, ...set(soFar),
      ...word(cum, r), ...tee(q), ...get(q), ...op.load, ...get(added), op.popcnt, op.add, ...op.store,
      ...inc(r),
    ]),
    // p back to set 0's word w + 1 is recomputed from w at the top.
    ...inc(w),
  ]);
})() };

// andNot(dst, src, n): dst[k] &= ~src[k] for words k < n.
const andNot = { params: 3, locals: 2, body: (() => {
  const [dst, src, n, k, at] = [0, 1, 2, 3, 4];
  return whileBelow(k, n, [
    ...word(dst, k), ...tee(at), ...get(at), ...op.load, ...word(src, k), ...op.load, ...i32(-1), op.xor, op.and, ...op.store,
    ...inc(k),
  ]);
})() };

const functions = { fix, tally, andNot };

function moduleBytes(): Uint8Array {
  const list = Object.values(functions);
  const types = list.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  const code = list.map((f) => {
    const body = [...vec(f.locals > 0 ? [[...leb(f.locals), I32]] : []), ...f.body, op.end];
    return [...leb(body.length), ...body];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('m'), ...name('memory'), 0x02, 0x00, 0x01]])),
    ...section(3, vec(list.map((_, k) => leb(k)))),
    ...section(7, vec(Object.keys(functions).map((key, k) => [...name(key), 0x00, ...leb(k)]))),
    ...section(10, vec(code)),
  ]);
}

export interface Kernel {
  memory: WebAssembly.Memory;
  fix(ids: number, count: number, w0: number, n: number, target: number, set: number): void;
  tally(sets: number, n: number, stride: number, cum: number): void;
  andNot(dst: number, src: number, n: number): void;
}

let kernel: Kernel | null = null;

/**
 * The kernel and its memory (one per process: its pages are reused by every count). A project's open makes it, when
 * it opens sorted copies' files for the counts: made on the first recount instead, it cost that recount ~1–2 ms on
 * the bench VM (the process's first WebAssembly).
 */
export function tallyKernel(): Kernel {
  if (!kernel) {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes() as Uint8Array<ArrayBuffer>), { m: { memory } });
    kernel = { memory, ...(instance.exports as unknown as Omit<Kernel, 'memory'>) };
    // Each function is compiled on its first call (V8 compiles WebAssembly lazily): here, with nothing to do.
    kernel.fix(0, 0, 0, 0, 0, 0);
    kernel.tally(0, 0, 0, 0);
    kernel.andNot(0, 0, 0);
    // Its first page touched now too (a page's first touch is a fault: ~15–25 µs each on the bench VM).
    new Uint32Array(memory.buffer).fill(0);
  }
  return kernel;
}

/** Grows the kernel's memory to at least `bytes` (views on it must be taken again after). */
export function reserve(k: Kernel, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
}
