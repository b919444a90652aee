// The per-item Parquet table of a shard and of a merged result: one row per source entry with what the
// shard job measured (signals as DOUBLE columns named after the signal) and where its vectors sit in
// the shard's matrices. The same columns in both, so a merged result reads like one big shard. Tables
// are read one row group at a time (ItemTableReader), so a reader holds O(row group) rows, never a table.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type FileMetaData } from 'hyparquet';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';

/** Signals the shard job has always written (same names as the project's signals table). */
export const SHARD_SIGNALS = ['clip.pair', 'caption.words', 'caption.chars', 'image.min_side', 'image.aspect'] as const;

export interface ItemRow {
  source: number;
  key: string;
  uri: string | null;
  caption: string | null;
  sha256: string | null;
  width: number | null;
  height: number | null;
  format: string | null;
  /** Row of the image / text matrix; null when the item has no image vector (unreadable) or no caption. */
  image_row: number | null;
  text_row: number | null;
  /** Why the item has no image vector (`kind: message`), null when it has one. */
  error: string | null;
  /** Source annotations and metadata as JSON text. */
  annotations: string | null;
  extra: string | null;
  /** Where the item sits in its source (tar member byte range, parquet row) as JSON text. */
  provenance: string | null;
  /** Perceptual hash, 16 hex characters (a string: 64 bits do not survive a DOUBLE). */
  phash?: string | null;
  /** Any numeric signal by name ('clip.pair', 'label.<class>', 'concept.<name>'); absent = not measured. */
  signals: Record<string, number>;
}

type BasicType = NonNullable<ColumnSource['type']>;
type Fixed = keyof Omit<ItemRow, 'signals'>;
const COLUMNS: Array<[Fixed, BasicType]> = [
  ['source', 'INT32'], ['key', 'STRING'], ['uri', 'STRING'], ['caption', 'STRING'], ['sha256', 'STRING'], ['width', 'INT32'], ['height', 'INT32'],
  ['format', 'STRING'], ['image_row', 'INT32'], ['text_row', 'INT32'], ['error', 'STRING'], ['annotations', 'STRING'], ['extra', 'STRING'],
  ['provenance', 'STRING'], ['phash', 'STRING'],
];
const FIXED = new Set<string>(COLUMNS.map(([name]) => name));

/** Compares rows by (source, key): the one order every merged output is written in. */
export function compareItems(a: Pick<ItemRow, 'source' | 'key'>, b: Pick<ItemRow, 'source' | 'key'>): number {
  return a.source - b.source || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

export interface ItemTableOptions {
  /**
   * Write the rows in (source, key) order whatever order they are added in: rows (metadata only, vectors
   * stay in the matrices) are held until finish(), so memory is bounded by the table (a shard), not a
   * row group. A shard writes sorted so the merge is a streaming k-way merge of its shards.
   */
  sort?: boolean;
}

/** Writes rows in row groups of `groupSize` (bounded memory while writing, unless `sort`). */
export class ItemTableWriter {
  private readonly writer: ParquetWriter;
  private pending: ItemRow[] = [];
  private readonly signalNames: readonly string[];
  private readonly declared: ReadonlySet<string>;
  rows = 0;

  constructor(file: string, signalNames: readonly string[] = SHARD_SIGNALS, private readonly groupSize = 4096, private readonly o: ItemTableOptions = {}) {
    this.signalNames = [...new Set(signalNames)];
    this.declared = new Set(this.signalNames);
    for (const s of this.signalNames) if (FIXED.has(s)) throw new Error(`signal ${s} clashes with a fixed column of the item table`);
    const schema = schemaFromColumnData({ columnData: this.columnData([]) });
    this.writer = new ParquetWriter({ writer: fileWriter(file), schema, createdBy: 'winnow scale' });
  }

  private columnData(rows: ItemRow[]) {
    return [
      ...COLUMNS.map(([name, type]) => ({ name, type, data: rows.map((r) => r[name] ?? null) as unknown as ColumnSource['data'] })),
      ...this.signalNames.map((name) => ({ name, type: 'DOUBLE' as BasicType, data: rows.map((r) => r.signals[name] ?? null) as unknown as ColumnSource['data'] })),
    ];
  }

  add(row: ItemRow): void {
    for (const s in row.signals) if (!this.declared.has(s)) throw new Error(`signal ${s} was not declared when the item table was opened`);
    this.pending.push(row);
    this.rows++;
    if (!this.o.sort && this.pending.length >= this.groupSize) this.flush();
  }

  private flush(): void {
    if (!this.pending.length) return;
    for (let at = 0; at < this.pending.length; at += this.groupSize) {
      const group = this.pending.slice(at, at + this.groupSize);
      this.writer.write({ columnData: this.columnData(group), rowGroupSize: group.length });
    }
    this.pending = [];
  }

  finish(): void {
    if (this.o.sort) this.pending.sort(compareItems);
    this.flush();
    this.writer.finish();
  }
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

function toRow(r: Record<string, unknown>, signalNames: readonly string[]): ItemRow {
  const signals: Record<string, number> = {};
  for (const s of signalNames) if (r[s] !== null && r[s] !== undefined) signals[s] = Number(r[s]);
  return {
    source: Number(r.source), key: String(r.key), uri: str(r.uri), caption: str(r.caption), sha256: str(r.sha256),
    width: num(r.width), height: num(r.height), format: str(r.format), image_row: num(r.image_row), text_row: num(r.text_row),
    error: str(r.error), annotations: str(r.annotations), extra: str(r.extra), provenance: str(r.provenance), phash: str(r.phash), signals,
  };
}

/**
 * How many decoded rows all row-group readers hold right now, and the most they ever held at once: the
 * merge's memory bound (one row group per open table) is asserted against it.
 */
export const rowsHeld = { now: 0, peak: 0, reset(): void { this.now = 0; this.peak = 0; } };

/** Any Parquet file, one row group at a time. */
export class RowGroupReader {
  private constructor(readonly file: string, readonly metadata: FileMetaData, private readonly buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>) {}

  static async open(file: string): Promise<RowGroupReader> {
    const buffer = await asyncBufferFromFile(file);
    return new RowGroupReader(file, await parquetMetadataAsync(buffer), buffer);
  }

  get rows(): number { return Number(this.metadata.num_rows); }
  get groups(): number { return this.metadata.row_groups.length; }
  /** Leaf column names (the table's flat schema). */
  get columns(): string[] { return this.metadata.schema.slice(1).map((s) => s.name); }

  /**
   * A lower bound of the first row's (source, key) in a table sorted by them, from the first row group's
   * statistics (min source, min key of the group); null when the writer kept none.
   */
  lowerBound(): { source: number; key: string } | null {
    const cols = this.metadata.row_groups[0]?.columns;
    const stat = (name: string) => cols?.find((c) => c.meta_data?.path_in_schema.join('.') === name)?.meta_data?.statistics;
    const source = stat('source')?.min_value;
    const key = stat('key')?.min_value;
    if (source === undefined || source === null || key === undefined || key === null) return null;
    return { source: Number(source), key: typeof key === 'string' ? key : new TextDecoder().decode(key as Uint8Array) };
  }

  /** Rows of every group in order; the previous group is released before the next is decoded. */
  async *records(): AsyncGenerator<Record<string, unknown>[]> {
    let start = 0;
    for (const group of this.metadata.row_groups) {
      const end = start + Number(group.num_rows);
      const rows = (await parquetReadObjects({ file: this.buffer, metadata: this.metadata, rowStart: start, rowEnd: end })) as Record<string, unknown>[];
      rowsHeld.now += rows.length;
      rowsHeld.peak = Math.max(rowsHeld.peak, rowsHeld.now);
      try {
        yield rows;
      } finally {
        rowsHeld.now -= rows.length;
      }
      start = end;
    }
  }
}

/** An item table read one row group at a time. */
export class ItemTableReader {
  private constructor(private readonly reader: RowGroupReader, readonly signalNames: readonly string[]) {}

  static async open(file: string): Promise<ItemTableReader> {
    const reader = await RowGroupReader.open(file);
    const signals = reader.metadata.schema.slice(1).filter((s) => !FIXED.has(s.name) && s.type === 'DOUBLE').map((s) => s.name);
    return new ItemTableReader(reader, signals);
  }

  get rows(): number { return this.reader.rows; }

  lowerBound(): { source: number; key: string } | null { return this.reader.lowerBound(); }

  async *groups(): AsyncGenerator<ItemRow[]> {
    for await (const records of this.reader.records()) yield records.map((r) => toRow(r, this.signalNames));
  }

  async *items(): AsyncGenerator<ItemRow> {
    for await (const group of this.groups()) yield* group;
  }
}

/** A whole item table in memory: for a shard-sized table (one shard's index, a test), never a merged result. */
export async function readItemTable(file: string): Promise<ItemRow[]> {
  const out: ItemRow[] = [];
  for await (const group of (await ItemTableReader.open(file)).groups()) out.push(...group);
  return out;
}
