// Streaming .npy writer: rows appended as they come, the shape fixed up in the header at the end.
import { closeSync, openSync, writeSync } from 'node:fs';

const HEADER = 128;

/** float32 → IEEE half, round to nearest even. */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

export class NpyWriter {
  private readonly fd: number;
  private rows = 0;
  constructor(readonly file: string, readonly dim: number, readonly dtype: 'float16' | 'float32') {
    this.fd = openSync(file, 'w');
    writeSync(this.fd, this.header());
  }

  private header(): Buffer {
    const descr = this.dtype === 'float16' ? '<f2' : '<f4';
    let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${this.rows}, ${this.dim}), }`;
    dict = dict.padEnd(HEADER - 10 - 1, ' ') + '\n';
    const buf = Buffer.alloc(HEADER);
    buf.write('\x93NUMPY', 0, 'latin1');
    buf[6] = 1; buf[7] = 0;
    buf.writeUInt16LE(HEADER - 10, 8);
    buf.write(dict, 10, 'latin1');
    return buf;
  }

  append(row: Float32Array): void {
    if (row.length !== this.dim) throw new Error(`row has ${row.length} values, expected ${this.dim}`);
    let out: Buffer;
    if (this.dtype === 'float32') out = Buffer.from(row.buffer, row.byteOffset, row.byteLength);
    else {
      out = Buffer.alloc(this.dim * 2);
      for (let i = 0; i < this.dim; i++) out.writeUInt16LE(toHalf(row[i]), i * 2);
    }
    writeSync(this.fd, out, 0, out.length, HEADER + this.rows * out.length);
    this.rows++;
  }

  /** Closes the file without fixing the header (after a failure; the partial folder is removed). */
  dispose(): void {
    try { closeSync(this.fd); } catch { /* already closed */ }
  }

  close(): number {
    writeSync(this.fd, this.header(), 0, HEADER, 0);
    closeSync(this.fd);
    return this.rows;
  }
}
