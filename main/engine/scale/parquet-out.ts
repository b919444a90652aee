// A Parquet table written row by row in row groups of a fixed size: the merge's outputs stream through
// it, so a table of any length costs one row group of memory.
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';

export type ColumnType = NonNullable<ColumnSource['type']>;

export class TableWriter {
  private readonly writer: ParquetWriter;
  private pending: Array<Record<string, unknown>> = [];
  rows = 0;

  constructor(file: string, private readonly columns: ReadonlyArray<readonly [string, ColumnType]>, private readonly groupSize = 4096) {
    this.writer = new ParquetWriter({ writer: fileWriter(file), schema: schemaFromColumnData({ columnData: this.columnData([]) }), createdBy: 'winnow scale' });
  }

  private columnData(rows: Array<Record<string, unknown>>) {
    return this.columns.map(([name, type]) => ({ name, type, data: rows.map((r) => r[name] ?? null) as unknown as ColumnSource['data'] }));
  }

  add(row: Record<string, unknown>): void {
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
