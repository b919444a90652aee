// What travels in a queue job: the plan itself (small JSON) and which shard of how many, so a worker on
// any machine needs nothing but the plan's sources, its model and the output storage.
import type { ScalePlanT } from '../domain/scale';
import type { ShardExportFormat } from '../engine/scale/shard-export';
import type { ShardUnit } from '../engine/scale/units';

export interface ShardJobData { runId: string; plan: ScalePlanT; index: number; count: number; units: ShardUnit[] }
/** `export`: after the merge, one export job per shard writes the kept items in that format (shard-export.ts). */
export interface MergeJobData { runId: string; plan: ScalePlanT; count: number; export?: ShardExportFormat }
export interface ExportJobData extends ShardJobData { format: ShardExportFormat }

export interface ShardProgress { done: number; total: number; startedAt: number; worker: string }

export const shardJobId = (runId: string, index: number) => `${runId}-shard-${index}`;
export const mergeJobId = (runId: string) => `${runId}-merge`;
export const exportJobId = (runId: string, index: number) => `${runId}-export-${index}`;

/** Attempts per shard: a killed or stalled worker costs one. */
export const SHARD_ATTEMPTS = 3;
