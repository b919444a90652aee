// annotations.parquet of a shard: one row per object a stage found on an item (detections with their box and
// mask; zero-shot labels as rows without a box). Sorted by (source, key), then by descending score (ties by
// label and box), so the rows of an item are the same whichever shard or worker produced them.
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { compareItems } from '../item-table';

export const ANNOTATIONS_FILE = 'annotations.parquet';

export interface AnnotationRow {
  source: number;
  key: string;
  label: string;
  score: number;
  /** Box in original-image pixels, top-left origin; null for a whole-image label. */
  x: number | null;
  y: number | null;
  w: number | null;
  h: number | null;
  /** COCO RLE as JSON text, when the stage segments. */
  mask: string | null;
  model: string;
}

type BasicType = NonNullable<ColumnSource['type']>;
const COLUMNS: Array<[keyof AnnotationRow, BasicType]> = [
  ['source', 'INT32'], ['key', 'STRING'], ['label', 'STRING'], ['score', 'DOUBLE'], ['x', 'DOUBLE'], ['y', 'DOUBLE'], ['w', 'DOUBLE'], ['h', 'DOUBLE'],
  ['mask', 'STRING'], ['model', 'STRING'],
];

const cmpNum = (a: number | null, b: number | null) => (a ?? -1) - (b ?? -1);
const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function compareAnnotations(a: AnnotationRow, b: AnnotationRow): number {
  return compareItems(a, b) || b.score - a.score || cmpStr(a.label, b.label) || cmpStr(a.model, b.model)
    || cmpNum(a.x, b.x) || cmpNum(a.y, b.y) || cmpNum(a.w, b.w) || cmpNum(a.h, b.h);
}

/** Writes the table once at the end: a shard's rows arrive in source order, not key order, so they are sorted first. */
export function writeAnnotationTable(file: string, rows: AnnotationRow[], groupSize = 8192): void {
  rows.sort(compareAnnotations);
  const columnData = (part: AnnotationRow[]) => COLUMNS.map(([name, type]) => ({ name, type, data: part.map((r) => r[name]) as unknown as ColumnSource['data'] }));
  const writer = new ParquetWriter({ writer: fileWriter(file), schema: schemaFromColumnData({ columnData: columnData([]) }), createdBy: 'winnow scale' });
  for (let i = 0; i < rows.length; i += groupSize) {
    const part = rows.slice(i, i + groupSize);
    writer.write({ columnData: columnData(part), rowGroupSize: part.length });
  }
  writer.finish();
}

export async function readAnnotationTable(file: string): Promise<AnnotationRow[]> {
  const records = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Record<string, unknown>[];
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return records.map((r) => ({
    source: Number(r.source), key: String(r.key), label: String(r.label), score: Number(r.score),
    x: num(r.x), y: num(r.y), w: num(r.w), h: num(r.h), mask: r.mask === null || r.mask === undefined ? null : String(r.mask), model: String(r.model),
  }));
}
