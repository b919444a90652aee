// Bytes of items that live inside a container: a tar member (byte range) or a parquet cell (file + row + column).
import { open } from 'node:fs/promises';
import { MAX_MEMBER_BYTES } from '../ingest/archive-safety';

export type Embedded = { offset: number; size: number } | { row: number; column: string };

/** Where inside its container an item's bytes are, from its provenance; null for a plain file. */
export function embeddedOf(provenance: Record<string, unknown> | null): Embedded | null {
  if (!provenance) return null;
  if (typeof provenance.offset === 'number' && typeof provenance.size === 'number') return { offset: provenance.offset, size: provenance.size };
  if (typeof provenance.row === 'number' && typeof provenance.column === 'string') return { row: provenance.row, column: provenance.column };
  return null;
}

export async function readEmbedded(container: string, where: Embedded): Promise<Buffer> {
  if ('offset' in where) {
    if (where.size < 0 || where.size > MAX_MEMBER_BYTES || where.offset < 0) throw new Error(`bad byte range ${where.offset}+${where.size}`);
    const handle = await open(container, 'r');
    try {
      const buf = Buffer.alloc(where.size);
      const { bytesRead } = await handle.read(buf, 0, where.size, where.offset);
      if (bytesRead !== where.size) throw new Error(`${container} is shorter than expected (${bytesRead}/${where.size} bytes at ${where.offset})`);
      return buf;
    } finally {
      await handle.close();
    }
  }
  // hyparquet reads only the row group and column chunk holding this row.
  // Loaded on first use (a dynamic import), so commands that never read this format start without it.
  const { asyncBufferFromFile, parquetReadObjects } = await import('hyparquet');
  const file = await asyncBufferFromFile(container);
  const rows = await parquetReadObjects({ file, columns: [where.column], rowStart: where.row, rowEnd: where.row + 1, utf8: false });
  const bytes = cellBytes(rows[0]?.[where.column]);
  if (!bytes) throw new Error(`row ${where.row} of ${container} has no image bytes in column ${where.column}`);
  return bytes;
}

/** Image bytes from a parquet cell: raw binary, or a Hugging Face image struct {bytes, path}. */
export function cellBytes(v: unknown): Buffer | null {
  if (v instanceof Uint8Array) return v.length ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : null;
  if (v && typeof v === 'object' && 'bytes' in v) return cellBytes((v as { bytes: unknown }).bytes);
  return null;
}
