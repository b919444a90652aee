// Loads the word loops of a tally (chunked-tally.ts): a small WebAssembly module whose source is tally-kernel.wat
// (why WebAssembly, and what each function does, is said there). Its bytes come from tally-kernel.wasm.ts, generated
// from the .wat by `npm run build:wasm`, so nothing at run time needs a toolchain.
import { TALLY_KERNEL_WASM } from './tally-kernel.wasm';

/** The module's exports (tally-kernel.wat); every argument is a byte address or a count in the kernel's memory. */
export interface Kernel {
  memory: WebAssembly.Memory;
  fix(ids: number, count: number, w0: number, n: number, target: number, on: number): void;
  tally(sets: number, n: number, stride: number, cum: number): void;
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
    const bytes = Buffer.from(TALLY_KERNEL_WASM, 'base64');
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { memory } });
    kernel = { memory, ...(instance.exports as unknown as Omit<Kernel, 'memory'>) };
    // Each function is compiled on its first call (V8 compiles WebAssembly lazily): here, with nothing to do.
    kernel.fix(0, 0, 0, 0, 0, 0);
    kernel.tally(0, 0, 0, 0);
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
