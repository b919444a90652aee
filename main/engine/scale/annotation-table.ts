// Per-object outputs of a shard (detections, segmentation masks): annotations.parquet, one row per
// object, rows sorted by (source, key) and then by descending score. The merge interleaves the shards'
// tables in the merged item order, keeping each item's own rows in the order its shard wrote them.
import { checkSorted, mergeSorted } from './kway';
import { type ColumnType, TableWriter } from './parquet-out';
import { compareItems, RowGroupReader } from './item-table';

export const ANNOTATION_COLUMNS: ReadonlyArray<readonly [string, ColumnType]> = [
  ['source', 'INT32'], ['key', 'STRING'], ['label', 'STRING'], ['score', 'DOUBLE'],
  // Box in pixels, top-left origin.
  ['x', 'DOUBLE'], ['y', 'DOUBLE'], ['w', 'DOUBLE'], ['h', 'DOUBLE'],
  // Mask as RLE JSON, or null.
  ['mask', 'STRING'], ['model', 'STRING'],
];

export interface AnnotationRow { source: number; key: string; label: string | null; score: number | null; x: number | null; y: number | null; w: number | null; h: number | null; mask: string | null; model: string | null }

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
  const inputs = readers.map((r) => ({ lower: r.lowerBound(), open: () => checkSorted(rowsOf(r), compareItems, `${r.file} is not in (source, key) order`, true)[Symbol.asyncIterator]() }));
  const writer = new TableWriter(out, ANNOTATION_COLUMNS, groupSize);
  for await (const { value } of mergeSorted(inputs, compareItems)) writer.add(value as unknown as Record<string, unknown>);
  writer.finish();
  return writer.rows;
}
