// The ingest entries of one shard, read by the same source readers an import uses (main/engine/ingest).
import type { ScalePlanT } from '../../domain/scale';
import type { IngestEntry } from '../ingest/entry';
import { openSource } from '../ingest/open-source';
import { WebDatasetSource } from '../ingest/webdataset';
import type { ShardSpec } from './units';

export interface ShardEntry { source: number; entry: IngestEntry }

export async function* shardEntries(plan: ScalePlanT, shard: ShardSpec, signal?: AbortSignal): AsyncIterable<ShardEntry> {
  for (const unit of shard.units) {
    if (unit.kind === 'tar') {
      for await (const entry of new WebDatasetSource(unit.tar).entries(0, signal)) yield { source: unit.source, entry };
      continue;
    }
    const s = plan.sources[unit.source];
    let position = unit.start;
    for await (const entry of openSource(s.kind, s.path).entries(unit.start, signal)) {
      if (position++ >= unit.end) break;
      yield { source: unit.source, entry };
    }
  }
}
