// The merge of the shards' annotations.parquet (stages/annotation-table.ts: one row per object, sorted
// by (source, key), then by descending score): interleaved in the merged item order, each item's rows in
// the order its shard wrote them, read one row group at a time.
import { compareItems, RowGroupReader } from './item-table';
import { checkSorted, mergeSorted } from './kway';
import { TableWriter } from './parquet-out';
import { ANNOTATION_COLUMNS, type AnnotationRow } from './stages/annotation-table';

async function* rowsOf(reader: RowGroupReader): AsyncGenerator<AnnotationRow> {
  for await (const group of reader.records()) {
    for (const r of group) {
      const row = Object.fromEntries(ANNOTATION_COLUMNS.map(([name]) => [name, r[name] ?? null])) as unknown as AnnotationRow;
      row.source = Number(row.source);
      row.key = String(row.key);
      yield row;
    }
  }
}

/** Merges shard annotation tables (in shard order) into `out`; returns the rows written (0 and no file when there are none). */
export async function mergeAnnotations(files: readonly string[], out: string, groupSize: number): Promise<number> {
  if (!files.length) return 0;
  const readers = await Promise.all(files.map((f) => RowGroupReader.open(f)));
  const inputs = readers.map((r) => ({
    lower: r.lowerBound() as AnnotationRow | null,
    open: () => checkSorted(rowsOf(r), compareItems, `${r.file} is not in (source, key) order`, true)[Symbol.asyncIterator](),
  }));
  const writer = new TableWriter(out, ANNOTATION_COLUMNS, groupSize);
  for await (const { value } of mergeSorted(inputs, compareItems)) writer.add(value as unknown as Record<string, unknown>);
  writer.finish();
  return writer.rows;
}
