// Export of one shard's kept items after the merge: the shard re-reads its own entries (the same units, so
// the original bytes, never a re-encoded copy), keeps the rows the merged result's selection.parquet marks
// kept and writes them with the project's exporter (WebDataset tars), staged and committed once as
// `export/<shard>` like a shard's outputs. Memory is bounded by the shard: the keys looked up are this
// shard's own, and selection.parquet is read one row group at a time.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ItemT } from '../../domain/project';
import { shardName, type ScalePlanT } from '../../domain/scale';
import { safeJoin } from '../export/atomic';
import { resolveOptions, type ExportRecord } from '../export/types';
import { webdatasetFormat } from '../export/webdataset';
import { ItemTableReader, RowGroupReader, type ItemRow } from './item-table';
import { RESULT } from './merge';
import { shardEntries } from './shard-entries';
import type { ShardStorage } from './storage';
import { shardPath, type ShardSpec } from './units';

export const EXPORT_FORMATS = { webdataset: webdatasetFormat } as const;
export type ShardExportFormat = keyof typeof EXPORT_FORMATS;

export interface ShardExportOptions {
  storage: ShardStorage;
  format?: ShardExportFormat;
  /** Options of the format (resize, samplesPerShard…); defaults copy the bytes unchanged and export every signal as a score. */
  options?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface ShardExportSummary {
  /** `export/<shard name>`. */
  name: string;
  format: ShardExportFormat;
  /** Rows of the shard, and how many of them the merged selection keeps and were written. */
  items: number;
  kept: number;
  written: number;
  /** Kept rows without image bytes (an unreadable file) that the exporter left out. */
  skipped: number;
  files: string[];
  /** false when another attempt committed this export first; `skipped` true when it was committed before this one started. */
  committed: boolean;
  alreadyCommitted?: boolean;
}

export const exportPath = (shard: Pick<ShardSpec, 'index' | 'count'>) => `export/${shardName(shard)}`;

const rowKey = (source: number, key: string) => `${source}\u0000${key}`;

/** This shard's rows by (source, key): a shard-sized map (the shard's own table). */
async function shardRows(file: string): Promise<Map<string, ItemRow>> {
  const rows = new Map<string, ItemRow>();
  for await (const group of (await ItemTableReader.open(file)).groups()) for (const r of group) rows.set(rowKey(r.source, r.key), r);
  return rows;
}

/** The keys of `rows` that the merged selection keeps, streamed group by group from selection.parquet. */
async function keptKeys(selection: string, rows: Map<string, ItemRow>, signal?: AbortSignal): Promise<Set<string>> {
  const kept = new Set<string>();
  for await (const group of (await RowGroupReader.open(selection)).records()) {
    signal?.throwIfAborted();
    for (const r of group) {
      const k = rowKey(Number(r.source), String(r.key));
      if (r.kept && rows.has(k)) kept.add(k);
    }
  }
  return kept;
}

const parseJson = (text: string | null): Record<string, unknown> | null => (text ? (JSON.parse(text) as Record<string, unknown>) : null);

function itemOf(row: ItemRow, index: number, bytes: number): ItemT {
  return {
    id: index, sourceId: row.source, key: row.key, uri: row.uri ?? '', format: row.format, width: row.width, height: row.height,
    bytes, sha256: row.sha256, caption: row.caption, captionOrigin: null, extra: parseJson(row.extra), issueCount: 0,
  };
}

/** Exports the kept items of one shard of a merged run; an export already committed is left as it is. */
export async function exportShard(plan: ScalePlanT, shard: ShardSpec, o: ShardExportOptions): Promise<ShardExportSummary> {
  const format = o.format ?? 'webdataset';
  const spec = EXPORT_FORMATS[format];
  if (!spec) throw new Error(`unknown export format "${format}" (known: ${Object.keys(EXPORT_FORMATS).join(', ')})`);
  const name = exportPath(shard);
  const base = { name, format, items: 0, kept: 0, written: 0, skipped: 0, files: [] as string[] };
  if (await o.storage.committed(name)) {
    const prior = await o.storage.readJson<ShardExportSummary>(`${name}/export.json`);
    return { ...base, ...prior, name, committed: false, alreadyCommitted: true };
  }
  if (!(await o.storage.committed(RESULT))) throw new Error(`no merged result in ${o.storage.location}: run \`winnow merge\` before exporting shards (the export keeps what the merged selection keeps)`);
  const source = shardPath(shard);
  if (!(await o.storage.committed(source))) throw new Error(`${source} has no committed output in ${o.storage.location}: run it (winnow run-shard) and merge again before exporting it`);
  // One file of each: on object storage the shard's matrices and the merged result's are never downloaded.
  const rows = await shardRows(await o.storage.openFile(source, 'items.parquet'));
  const kept = await keptKeys(await o.storage.openFile(RESULT, 'selection.parquet'), rows, o.signal);
  const staging = path.join(await o.storage.stagingRoot(), `export-${path.basename(name)}.${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  const controller = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, controller.signal]) : controller.signal;
  const options = resolveOptions(spec.options, { scores: '*', ...o.options });
  const warnings: string[] = [];
  const writer = await spec.create({ dir: staging, file: (rel) => safeJoin(staging, rel), options, total: kept.size, signal, warn: (m) => warnings.push(m) });
  let index = 0;
  try {
    for await (const { source: src, entry } of shardEntries(plan, shard, signal)) {
      if (entry.type === 'bad' || entry.type === 'remote') continue;
      const row = rows.get(rowKey(src, entry.key));
      if (!row || !kept.has(rowKey(src, entry.key))) continue;
      const data = entry.type === 'file' ? await readFile(entry.file).catch(() => null) : entry.data;
      const record: ExportRecord = {
        index, item: itemOf(row, index, data?.length ?? 0), annotations: [],
        scores: Object.entries(row.signals).map(([n, value]) => ({ name: n, value, model: n === 'clip.pair' ? plan.model : null })),
        source: plan.sources[src]?.path ?? null, provenance: parseJson(row.provenance), bytes: async () => data,
      };
      index++;
      await writer.add(record);
    }
    const summary = await writer.finish();
    const out: ShardExportSummary = { ...base, items: rows.size, kept: kept.size, written: summary.written, skipped: summary.skipped, files: summary.files, committed: true };
    await writeFile(path.join(staging, 'export.json'), JSON.stringify({ ...out, warnings }, null, 2));
    out.committed = await o.storage.commit(name, staging);
    return out;
  } catch (err) {
    controller.abort();
    await writer.abort?.();
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}
