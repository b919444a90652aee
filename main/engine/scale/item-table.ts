// The per-item Parquet table of a shard and of a merged result: one row per source entry with what the
// shard job measured (signals as DOUBLE columns named after the signal) and where its vectors sit in
// the shard's matrices. The same columns in both, so a merged result reads like one big shard.
import { asyncBufferFromFile, type AsyncBuffer, parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';

/** Signals every shard job writes (same names as the project's signals table); plan stages add more. */
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
  /** Perceptual hash (16 hex chars) when the plan's stats stage ran and the image decoded. */
  phash?: string | null;
  signals: Record<string, number>;
}

type BasicType = NonNullable<ColumnSource['type']>;
const COLUMNS: Array<[keyof Omit<ItemRow, 'signals'>, BasicType]> = [
  ['source', 'INT32'], ['key', 'STRING'], ['uri', 'STRING'], ['caption', 'STRING'], ['sha256', 'STRING'], ['width', 'INT32'], ['height', 'INT32'],
  ['format', 'STRING'], ['image_row', 'INT32'], ['text_row', 'INT32'], ['error', 'STRING'], ['annotations', 'STRING'], ['extra', 'STRING'],
  ['provenance', 'STRING'], ['phash', 'STRING'],
];

/** Compares rows by (source, key): the one order every merged output is written in. */
export function compareItems(a: Pick<ItemRow, 'source' | 'key'>, b: Pick<ItemRow, 'source' | 'key'>): number {
  return a.source - b.source || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/** Writes rows in row groups of `groupSize` (bounded memory while writing). */
export class ItemTableWriter {
  private readonly writer: ParquetWriter;
  private pending: ItemRow[] = [];
  rows = 0;

  /** `signalNames`: the DOUBLE signal columns, declared up front (a row without a signal has null there). */
  constructor(file: string, private readonly signalNames: readonly string[] = SHARD_SIGNALS, private readonly groupSize = 4096) {
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
    this.pending.push(row);
    this.rows++;
    if (this.pending.length >= this.groupSize) this.flush();
  }

  private flush(): void {
    if (!this.pending.length) return;
    this.writer.write({ columnData: this.columnData(this.pending), rowGroupSize: this.pending.length });
    this.pending = [];
  }

  finish(): void {
    this.flush();
    this.writer.finish();
  }
}

const FIXED = new Set<string>(COLUMNS.map(([name]) => name));

/** The signal columns of an item table: every DOUBLE column that is not a fixed one, in file order. */
export async function itemTableSignals(file: string | AsyncBuffer): Promise<string[]> {
  const schema = parquetSchema(await parquetMetadataAsync(typeof file === 'string' ? await asyncBufferFromFile(file) : file));
  return schema.children.filter((c) => c.element.type === 'DOUBLE' && !FIXED.has(c.element.name)).map((c) => c.element.name);
}

export async function readItemTable(file: string): Promise<ItemRow[]> {
  const buffer = await asyncBufferFromFile(file);
  const signals = await itemTableSignals(buffer);
  const records = (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[];
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return records.map((r) => ({
    source: Number(r.source), key: String(r.key), uri: str(r.uri), caption: str(r.caption), sha256: str(r.sha256),
    width: num(r.width), height: num(r.height), format: str(r.format), image_row: num(r.image_row), text_row: num(r.text_row),
    error: str(r.error), annotations: str(r.annotations), extra: str(r.extra), provenance: str(r.provenance), phash: str(r.phash),
    signals: Object.fromEntries(signals.filter((s) => r[s] !== null && r[s] !== undefined).map((s) => [s, Number(r[s])])),
  }));
}
