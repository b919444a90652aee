// 64-bit perceptual hashes as two uint32 halves: Hamming distance without BigInt or string work.

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** 16 hex chars → [high 32 bits, low 32 bits]. */
export function splitHash(hex: string): [number, number] {
  return [parseInt(hex.slice(0, 8), 16) >>> 0, parseInt(hex.slice(8, 16), 16) >>> 0];
}

export const distance64 = (aHi: number, aLo: number, bHi: number, bLo: number): number =>
  popcount32((aHi ^ bHi) >>> 0) + popcount32((aLo ^ bLo) >>> 0);

/** `len` (≤ 31) bits starting at bit `start` (0 = least significant of lo) of the 64-bit value hi:lo. */
export function bits64(hi: number, lo: number, start: number, len: number): number {
  const mask = len >= 32 ? 0xffffffff : (1 << len) - 1;
  if (start >= 32) return (hi >>> (start - 32)) & mask;
  if (start + len <= 32) return (lo >>> start) & mask;
  const lowLen = 32 - start;
  return ((lo >>> start) | ((hi & ((1 << (len - lowLen)) - 1)) << lowLen)) & mask;
}
