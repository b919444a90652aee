import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes text to a file with backpressure (memory stays flat however many rows). A write error (disk full, file too large) is
 * caught on the stream and thrown from the next write or close, never left as an unhandled stream error.
 */
export class LineWriter {
  private readonly stream: WriteStream;
  private error: Error | null = null;
  private readonly failed: Promise<never>;

  constructor(file: string) {
    this.stream = createWriteStream(file);
    this.failed = new Promise<never>((_, reject) => this.stream.on('error', (err) => { this.error ??= err; reject(err); }));
    this.failed.catch(() => undefined);
  }

  /** Queues a short piece (a header) without waiting for the disk; an error surfaces at the next write or close. */
  push(text: string): void {
    if (!this.error) this.stream.write(text);
  }

  async write(text: string): Promise<void> {
    if (this.error) throw this.error;
    if (!this.stream.write(text)) await Promise.race([once(this.stream, 'drain'), this.failed]);
  }

  async close(): Promise<void> {
    if (this.error) throw this.error;
    this.stream.end();
    await Promise.race([once(this.stream, 'close'), this.failed]);
    if (this.error) throw this.error;
  }

  /** Closes the file after a failure elsewhere, without waiting for pending data. */
  destroy(): void {
    this.stream.destroy();
  }
}
