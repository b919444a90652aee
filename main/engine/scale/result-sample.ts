// A sample of a merged result as one Parquet file a project imports like any source: image bytes (read
// back from the original files and tar members), caption, the shard signals as `score:<signal>` columns
// (imported as signals) and the item's key, shard provenance and duplicate group as metadata. The sample is
// the N rows with the smallest hash of their key: deterministic, and spread over every shard and source.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { fileWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import { embeddedOf, readEmbedded } from '../media/embedded';
import { itemTableSignals, readItemTable, type ItemRow } from './item-table';

export interface SampleSummary { file: string; rows: number; of: number; unreadable: number }

const rank = (key: string) => createHash('sha1').update(key).digest('hex');

async function bytesOf(row: ItemRow): Promise<Buffer> {
  const uri = row.uri ?? '';
  const hash = uri.lastIndexOf('#');
  const where = embeddedOf(row.provenance ? (JSON.parse(row.provenance) as Record<string, unknown>) : null);
  if (hash > 0 && where) return readEmbedded(uri.slice(0, hash), where);
  return readFile(uri);
}

export async function writeResultSample(resultDir: string, n: number | undefined, outFile: string): Promise<SampleSummary> {
  const rows = (await readItemTable(path.join(resultDir, 'items.parquet'))).filter((r) => r.image_row !== null);
  const signals = await itemTableSignals(path.join(resultDir, 'items.parquet'));
  const dups = (await parquetReadObjects({ file: await asyncBufferFromFile(path.join(resultDir, 'duplicates.parquet')) })) as Array<{ group: number; kind: string; source: number; key: string; keeper: boolean }>;
  const groupOf = new Map(dups.map((d) => [`${d.source}/${d.key}`, d]));
  const picked = n === undefined || n >= rows.length ? rows : rows.map((r) => ({ r, h: rank(`${r.source}/${r.key}`) })).sort((a, b) => (a.h < b.h ? -1 : 1)).slice(0, n).map((x) => x.r);
  const out: Array<{ row: ItemRow; bytes: Buffer }> = [];
  let unreadable = 0;
  for (const row of picked) {
    try {
      out.push({ row, bytes: await bytesOf(row) });
    } catch {
      unreadable++;
    }
  }
  const meta = (r: ItemRow) => {
    const d = groupOf.get(`${r.source}/${r.key}`);
    return JSON.stringify({ cluster: { key: r.key, source: r.source, uri: r.uri, sha256: r.sha256, ...(d && { duplicateGroup: d.group, duplicateKind: d.kind, keeper: d.keeper }) } });
  };
  type Col = { name: string; type: NonNullable<ColumnSource['type']>; data: unknown[] };
  const columnData: Col[] = [
    { name: 'key', type: 'STRING', data: out.map((o) => `${o.row.source}/${o.row.key}`) },
    { name: 'caption', type: 'STRING', data: out.map((o) => o.row.caption) },
    { name: 'image', type: 'BYTE_ARRAY', data: out.map((o) => new Uint8Array(o.bytes)) },
    { name: 'metadata', type: 'STRING', data: out.map((o) => meta(o.row)) },
    ...signals.map((s): Col => ({ name: `score:${s}`, type: 'DOUBLE', data: out.map((o) => o.row.signals[s] ?? null) })),
  ];
  const cd = columnData as unknown as Parameters<typeof schemaFromColumnData>[0]['columnData'];
  const writer = new ParquetWriter({ writer: fileWriter(outFile), schema: schemaFromColumnData({ columnData: cd }), createdBy: 'winnow scale' });
  writer.write({ columnData: cd, rowGroupSize: 256 });
  writer.finish();
  return { file: outFile, rows: out.length, of: rows.length, unreadable };
}
