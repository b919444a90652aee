// The ingest entries of one shard, read by the same source readers an import uses (main/engine/ingest).
import type { ScalePlanT } from '../../domain/scale';
import type { IngestEntry } from '../ingest/entry';
import { openSource } from '../ingest/open-source';
import { ParquetSource } from '../ingest/parquet';
import { WebDatasetSource } from '../ingest/webdataset';
import type { ShardSpec } from './units';

export interface ShardEntry { source: number; entry: IngestEntry }

/** `stats` counts the Parquet row groups and rows decoded (a shard decodes only its own groups). */
export async function* shardEntries(plan: ScalePlanT, shard: ShardSpec, signal?: AbortSignal, stats?: { rowGroups: number; rows: number }): AsyncIterable<ShardEntry> {
  for (const unit of shard.units) {
    if (unit.kind === 'tar') {
      for await (const entry of new WebDatasetSource(unit.tar).entries(0, signal)) yield { source: unit.source, entry };
      continue;
    }
    const s = plan.sources[unit.source];
    if (unit.file !== undefined && unit.fileRow !== undefined) {
      const rows = new ParquetSource(s.path).range(unit.file, unit.fileRow, unit.fileRow + unit.end - unit.start, signal, stats);
      for await (const entry of rows) yield { source: unit.source, entry };
      continue;
    }
    let position = unit.start;
    for await (const entry of openSource(s.kind, s.path).entries(unit.start, signal)) {
      if (position++ >= unit.end) break;
      yield { source: unit.source, entry };
    }
  }
}
