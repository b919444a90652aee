// Row access to a float32 .npy matrix written by NpyWriter (main/engine/export/npy.ts), read with
// positioned reads so only the rows asked for are in memory.
import { closeSync, openSync, readSync } from 'node:fs';
import type { RowSource } from '../curate/ann-index';

export class NpyRows implements RowSource {
  readonly rows: number;
  readonly dim: number;
  private readonly fd: number;
  private readonly dataStart: number;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    const head = Buffer.alloc(10);
    readSync(this.fd, head, 0, 10, 0);
    if (head.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file} is not a .npy file`);
    const headerLen = head.readUInt16LE(8);
    const header = Buffer.alloc(headerLen);
    readSync(this.fd, header, 0, headerLen, 10);
    const text = header.toString('latin1');
    if (!text.includes("'<f4'")) throw new Error(`${file}: only little-endian float32 matrices are read`);
    const shape = /'shape': \((\d+), (\d+)\)/.exec(text);
    if (!shape) throw new Error(`${file}: no 2-d shape in the header`);
    this.rows = Number(shape[1]);
    this.dim = Number(shape[2]);
    this.dataStart = 10 + headerLen;
  }

  read(row: number, count = 1): Float32Array {
    if (row < 0 || row + count > this.rows) throw new RangeError(`rows ${row}..${row + count} outside 0..${this.rows}`);
    const out = new Float32Array(count * this.dim);
    readSync(this.fd, new Uint8Array(out.buffer), 0, out.byteLength, this.dataStart + row * this.dim * 4);
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}
