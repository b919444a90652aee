// The tally kernel (tally-kernel.wat): its committed bytes are what the .wat compiles to, and its two functions count
// and correct words as a plain JavaScript reference does. The counts through chunkedTally are checked against brute
// force in removed-sets.test.ts and filter-preload.test.ts; here each function is checked alone, at its edges.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWat, generatedSource, WASM_MODULES } from '../../../scripts/build-wasm';
import { reserve, tallyKernel } from '../../../main/engine/curate/tally-kernel';
import { TALLY_KERNEL_WASM } from '../../../main/engine/curate/tally-kernel.wasm';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/** xorshift32: the same words on every run, with no pattern the loops could get right by accident. */
function words(seed: number, n: number, density: number): Uint32Array {
  let x = seed >>> 0 || 1;
  const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) for (let b = 0; b < 32; b++) if (next() / 2 ** 32 < density) out[i] |= (1 << b) >>> 0;
  return out;
}

const popcount = (v: number) => {
  let c = 0;
  for (let b = 0; b < 32; b++) c += (v >>> b) & 1;
  return c;
};

describe('tally kernel', () => {
  it('is committed as exactly what its .wat compiles to (run `npm run build:wasm` after editing the .wat)', async () => {
    for (const entry of WASM_MODULES) {
      const bytes = await compileWat(path.join(ROOT, entry.wat));
      expect(readFileSync(path.join(ROOT, entry.out), 'utf8')).toBe(generatedSource(entry, bytes));
    }
    const [kernel] = WASM_MODULES;
    expect(Buffer.from(TALLY_KERNEL_WASM, 'base64').equals(Buffer.from(await compileWat(path.join(ROOT, kernel.wat))))).toBe(true);
  });

  it('tally adds to cum[r] the bits of set r in none of the sets before it', () => {
    const k = tallyKernel();
    const sets = [0.3, 0.001, 0.05, 0.5, 0.9].map((density, s) => words(s + 7, 1000, density));
    const stride = 4096; // bytes: past the 4,000 of a set, so a wrong stride reads other words
    const cum = sets.length * stride;
    reserve(k, cum + 4 * sets.length);
    const mem = new Uint32Array(k.memory.buffer);
    sets.forEach((set, s) => mem.set(set, (s * stride) / 4));
    // The counters start non-zero: the kernel adds to them (chunk after chunk) rather than overwriting.
    mem.set([11, 22, 33, 44, 55], cum / 4);
    k.tally(sets.length, 1000, stride, cum);
    const want = [11, 22, 33, 44, 55];
    for (let w = 0; w < 1000; w++) {
      let before = sets[0][w];
      for (let r = 1; r < sets.length; r++) {
        want[r] += popcount(sets[r][w] & ~before);
        before |= sets[r][w];
      }
    }
    expect(Array.from(mem.subarray(cum / 4, cum / 4 + sets.length))).toEqual(want);
    // Every set added something, so a counter left alone or a set skipped cannot pass.
    for (let r = 1; r < sets.length; r++) expect(want[r]).toBeGreaterThan([11, 22, 33, 44, 55][r]);
  });

  it('fix sets or clears the bits of the ids in its chunk, and leaves every other word alone', () => {
    const k = tallyKernel();
    const n = 64;
    const w0 = 100; // the chunk holds ids [3200, 5248)
    const target = 0;
    const ids = Int32Array.from([3200, 3201, 3231, 3232, 5247, 5248, 3199, 0, 4000, 4000, 2 ** 31 - 1, 9999]);
    const at = 4096;
    reserve(k, at + 4 * ids.length);
    for (const on of [1, 0]) {
      const mem = new Uint32Array(k.memory.buffer);
      const start = words(on + 3, n + 1, 0.5);
      mem.set(start, target / 4);
      new Int32Array(k.memory.buffer, at, ids.length).set(ids);
      k.fix(at, ids.length, w0, n, target, on);
      const want = start.slice();
      for (const id of ids) {
        const w = (id >>> 5) - w0;
        if (w < 0 || w >= n) continue;
        want[w] = on ? (want[w] | (1 << (id & 31))) >>> 0 : (want[w] & ~(1 << (id & 31))) >>> 0;
      }
      // Word n (just past the chunk) must stay as it was: 5248 is its first id.
      expect(Array.from(mem.subarray(0, n + 1))).toEqual(Array.from(want));
      expect(Array.from(want)).not.toEqual(Array.from(start));
    }
  });
});
