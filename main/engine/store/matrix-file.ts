import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A row-major float32 matrix on disk (`N × dim`), appended batch by batch and read by row ranges.
 * Never loaded whole: readers stream chunks, so memory stays flat as datasets grow.
 */
export class MatrixFile {
  private fd: number;

  constructor(readonly file: string, readonly dim: number) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
  }

  get rows(): number {
    return Math.floor(fstatSync(this.fd).size / (this.dim * 4));
  }

  /** Drops rows past `rows`: what a killed process wrote after its last committed checkpoint. */
  truncate(rows: number): void {
    ftruncateSync(this.fd, rows * this.dim * 4);
  }

  /** Writes `data` (whole rows) starting at row `at`; returns the first row written. */
  write(at: number, data: Float32Array): number {
    if (data.length % this.dim !== 0) throw new Error(`matrix ${this.file}: ${data.length} values is not a whole number of ${this.dim}-d rows`);
    writeSync(this.fd, new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 0, data.byteLength, at * this.dim * 4);
    return at;
  }

  read(row: number, count = 1): Float32Array {
    const out = new Float32Array(count * this.dim);
    const bytes = readSync(this.fd, new Uint8Array(out.buffer), 0, out.byteLength, row * this.dim * 4);
    if (bytes !== out.byteLength) throw new Error(`matrix ${this.file}: rows ${row}..${row + count} are past its end`);
    return out;
  }

  /** Streams the matrix in chunks of rows. */
  *chunks(rowsPerChunk = 4096): Generator<{ first: number; data: Float32Array }> {
    const total = this.rows;
    for (let first = 0; first < total; first += rowsPerChunk) yield { first, data: this.read(first, Math.min(rowsPerChunk, total - first)) };
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
