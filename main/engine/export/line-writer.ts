import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/** Characters gathered before one stream write: a stream chunk (a Buffer and a request) per row was most of an export's garbage. */
const FLUSH_AT = 1 << 16;

/**
 * Writes text to a file with backpressure (memory stays flat however many rows), rows gathered into FLUSH_AT-sized writes. A
 * write error (disk full, file too large) is caught on the stream and thrown from a later write or close, never left as an
 * unhandled stream error.
 */
export class LineWriter {
  private readonly stream: WriteStream;
  private pending = '';
  private error: Error | null = null;
  private readonly failed: Promise<never>;

  constructor(file: string) {
    this.stream = createWriteStream(file);
    this.failed = new Promise<never>((_, reject) => this.stream.on('error', (err) => { this.error ??= err; reject(err); }));
    this.failed.catch(() => undefined);
  }

  /** Queues a short piece (a header) without waiting for the disk; an error surfaces at the next write or close. */
  push(text: string): void {
    if (!this.error) this.pending += text;
  }

  async write(text: string): Promise<void> {
    if (this.error) throw this.error;
    this.pending += text;
    if (this.pending.length < FLUSH_AT) return;
    const chunk = this.pending;
    this.pending = '';
    if (!this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  async close(): Promise<void> {
    if (this.error) throw this.error;
    this.stream.end(this.pending);
    this.pending = '';
    await Promise.race([once(this.stream, 'close'), this.failed]);
    if (this.error) throw this.error;
  }

  /** Closes the file after a failure elsewhere, without waiting for pending data. */
  destroy(): void {
    this.stream.destroy();
  }
}
