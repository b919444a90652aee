// Shards are the unit of scale-out. A plan's sources are cut into natural units (one WebDataset tar, a run
// of whole Parquet row groups of one file up to `rowsPerShard` rows, or a run of `rowsPerShard` entries
// of a manifest / folder source) in a fixed order; shard i of N
// takes the units [⌊i·U/N⌋, ⌊(i+1)·U/N⌋). Every machine computes the same cut from the same plan, so
// `--shard i/N` needs no coordinator; N larger than U leaves some shards empty (they still commit).
import { shardName, type PlanSourceT, type ScalePlanT, type ShardRef } from '../../domain/scale';
import { openSource } from '../ingest/open-source';
import { ParquetSource } from '../ingest/parquet';
import { WebDatasetSource } from '../ingest/webdataset';

/**
 * One tar of a WebDataset source, or entries [start, end) of another source. A Parquet unit also names its
 * file and the file's first row (`fileRow`): whole row groups, so a shard decodes only its own groups.
 */
export type ShardUnit =
  | { source: number; kind: 'tar'; tar: string }
  | { source: number; kind: 'rows'; start: number; end: number; file?: string; fileRow?: number };

export interface ShardSpec extends ShardRef {
  units: ShardUnit[];
}

export async function planUnits(plan: Pick<ScalePlanT, 'sources' | 'rowsPerShard'>, signal?: AbortSignal): Promise<ShardUnit[]> {
  const units: ShardUnit[] = [];
  for (const [source, s] of plan.sources.entries()) units.push(...(await sourceUnits(source, s, plan.rowsPerShard, signal)));
  return units;
}

async function sourceUnits(source: number, s: PlanSourceT, rowsPerShard: number, signal?: AbortSignal): Promise<ShardUnit[]> {
  if (s.kind === 'webdataset') return (await new WebDatasetSource(s.path).shards()).map((tar) => ({ source, kind: 'tar', tar }));
  if (s.kind === 'parquet') return parquetUnits(source, await new ParquetSource(s.path).rowGroups(signal), rowsPerShard);
  const total = await openSource(s.kind, s.path).count(signal);
  const units: ShardUnit[] = [];
  for (let start = 0; start < total; start += rowsPerShard) units.push({ source, kind: 'rows', start, end: Math.min(total, start + rowsPerShard) });
  return units;
}

/** Consecutive row groups of one file, up to `rowsPerShard` rows (a bigger group is a unit alone). */
function parquetUnits(source: number, files: Array<{ file: string; rows: number[] }>, rowsPerShard: number): ShardUnit[] {
  const units: ShardUnit[] = [];
  let position = 0;
  for (const { file, rows } of files) {
    let fileRow = 0;
    let unit: { start: number; fileRow: number; n: number } | null = null;
    const flush = () => {
      if (unit && unit.n > 0) units.push({ source, kind: 'rows', start: unit.start, end: unit.start + unit.n, file, fileRow: unit.fileRow });
      unit = null;
    };
    for (const n of rows) {
      if (unit && unit.n + n > rowsPerShard) flush();
      unit ??= { start: position, fileRow, n: 0 };
      unit.n += n;
      position += n;
      fileRow += n;
    }
    flush();
  }
  return units;
}

/** The units of shard `ref.index` of `ref.count`. */
export function shardOf(units: readonly ShardUnit[], ref: ShardRef): ShardSpec {
  const from = Math.floor((ref.index * units.length) / ref.count);
  const to = Math.floor(((ref.index + 1) * units.length) / ref.count);
  return { ...ref, units: units.slice(from, to) };
}

/** Every shard of an N-way cut. */
export function allShards(units: readonly ShardUnit[], count: number): ShardSpec[] {
  return Array.from({ length: count }, (_, index) => shardOf(units, { index, count }));
}

/** Where a shard's outputs are committed in the storage. */
export const shardPath = (s: ShardRef) => `shards/${shardName(s)}`;
