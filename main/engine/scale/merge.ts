// The deterministic merge of a plan's shard outputs: every committed shard's rows sorted by (source, key),
// the image and text matrices rewritten in that order, duplicate groups (exact and semantic) computed on
// the merged rows, and result.json saying which shards failed and why. The same inputs give the same
// files whatever the number of shards or workers that produced them.
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileWriter, ParquetWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { ScalePlanT } from '../../domain/scale';
import { NpyWriter } from '../export/npy';
import { exactGroups, imageGroupsToRows, semanticGroups, type DupGroups } from './dedup-step';
import { compareItems, itemTableSignals, ItemTableWriter, readItemTable, type ItemRow } from './item-table';
import { NpyRows } from './npy-rows';
import { shardPath, type ShardSummary } from './shard-run';
import type { ShardStorage } from './storage';

export const RESULT = 'result';

export interface ShardFailure { shard: string; reason: string }

export interface MergeResult {
  plan: string;
  shards: number;
  merged: number;
  failed: ShardFailure[];
  items: number;
  embedded: number;
  errors: number;
  dim: number;
  model: string | null;
  modelHash: string | null;
  duplicates: { exactGroups: number; semanticGroups: number; threshold: number; method: string };
  elapsedMs: number;
}

/** Where a shard's failure reason is kept (written by whoever saw it fail: the queue, run-shard). */
export const failurePath = (shard: string) => `failures/${path.basename(shard)}.json`;

export interface MergeOptions { signal?: AbortSignal; semantic?: (images: NpyRows) => Promise<number[][]> }

export async function mergeShards(plan: ScalePlanT, count: number, storage: ShardStorage, o: MergeOptions = {}): Promise<MergeResult> {
  const started = performance.now();
  const failed: ShardFailure[] = [];
  const parts: Array<{ rows: ItemRow[]; signals: string[]; images: NpyRows; texts: NpyRows; summary: ShardSummary }> = [];
  const staging = path.join(await storage.stagingRoot(), `result.${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  try {
    for (let index = 0; index < count; index++) {
      const name = shardPath({ index, count });
      if (!(await storage.committed(name))) {
        const why = await storage.readJson<{ reason: string }>(failurePath(name));
        failed.push({ shard: name, reason: why?.reason ?? 'not run (no output committed)' });
        continue;
      }
      const dir = await storage.open(name);
      parts.push({
        rows: await readItemTable(path.join(dir, 'items.parquet')), signals: await itemTableSignals(path.join(dir, 'items.parquet')), images: new NpyRows(path.join(dir, 'image.npy')),
        texts: new NpyRows(path.join(dir, 'text.npy')), summary: (await storage.readJson<ShardSummary>(`${name}/shard.json`))!,
      });
    }
    const dims = new Set(parts.map((p) => p.summary.dim));
    const hashes = new Set(parts.map((p) => p.summary.modelHash));
    if (dims.size > 1 || hashes.size > 1) throw new Error('shards were embedded by different models; rerun them with one model');
    const dim = parts[0]?.summary.dim ?? 1;
    const tagged = parts.flatMap((p, part) => p.rows.map((row) => ({ row, part })));
    tagged.sort((a, b) => compareItems(a.row, b.row));
    // Every shard of a plan writes the same signal columns; the union keeps a mixed set (a plan edited mid-run) whole.
    const table = new ItemTableWriter(path.join(staging, 'items.parquet'), [...new Set(parts.flatMap((p) => p.signals))]);
    const images = new NpyWriter(path.join(staging, 'image.npy'), dim, 'float32');
    const texts = new NpyWriter(path.join(staging, 'text.npy'), dim, 'float32');
    const merged: ItemRow[] = [];
    let imageRows = 0;
    let textRows = 0;
    let errors = 0;
    for (const { row, part } of tagged) {
      const p = parts[part];
      const out: ItemRow = { ...row, image_row: null, text_row: null };
      if (row.image_row !== null) { images.append(p.images.read(row.image_row, 1)); out.image_row = imageRows++; }
      if (row.text_row !== null) { texts.append(p.texts.read(row.text_row, 1)); out.text_row = textRows++; }
      if (row.error) errors++;
      table.add(out);
      merged.push(out);
    }
    table.finish();
    images.close();
    texts.close();
    const imageSrc = new NpyRows(path.join(staging, 'image.npy'));
    let groups: DupGroups;
    try {
      const semantic = await (o.semantic ?? ((src) => semanticGroups(src, plan.dedup, o.signal)))(imageSrc);
      groups = { exact: exactGroups(merged), semantic: imageGroupsToRows(semantic, merged) };
    } finally {
      imageSrc.close();
    }
    await writeDuplicates(path.join(staging, 'duplicates.parquet'), merged, groups);
    const result: MergeResult = {
      plan: plan.name, shards: count, merged: parts.length, failed, items: merged.length, embedded: imageRows, errors, dim,
      model: parts[0]?.summary.model ?? null, modelHash: parts[0]?.summary.modelHash ?? null,
      duplicates: { exactGroups: groups.exact.length, semanticGroups: groups.semantic.length, threshold: plan.dedup.threshold, method: plan.dedup.method },
      elapsedMs: Math.round(performance.now() - started),
    };
    await writeFile(path.join(staging, 'result.json'), JSON.stringify(result, null, 2));
    await writeFile(path.join(staging, 'plan.json'), JSON.stringify(plan, null, 2));
    // A re-merge (after failed shards were rerun) replaces the previous result.
    await storage.remove(RESULT);
    await storage.commit(RESULT, staging);
    return result;
  } finally {
    for (const p of parts) { p.images.close(); p.texts.close(); }
  }
}

/** duplicates.parquet: one row per member (group, kind, source, key, keeper); the keeper is the group's first row in merged order. */
async function writeDuplicates(file: string, rows: readonly ItemRow[], groups: DupGroups): Promise<void> {
  const out: Array<{ group: number; kind: string; source: number; key: string; keeper: boolean }> = [];
  let id = 0;
  for (const [kind, list] of [['exact', groups.exact], ['semantic', groups.semantic]] as const) {
    for (const g of list) {
      g.forEach((r, i) => out.push({ group: id, kind, source: rows[r].source, key: rows[r].key, keeper: i === 0 }));
      id++;
    }
  }
  const columnData = [
    { name: 'group', type: 'INT32' as const, data: out.map((r) => r.group) },
    { name: 'kind', type: 'STRING' as const, data: out.map((r) => r.kind) },
    { name: 'source', type: 'INT32' as const, data: out.map((r) => r.source) },
    { name: 'key', type: 'STRING' as const, data: out.map((r) => r.key) },
    { name: 'keeper', type: 'BOOLEAN' as const, data: out.map((r) => r.keeper) },
  ];
  const writer = new ParquetWriter({ writer: fileWriter(file), schema: schemaFromColumnData({ columnData }), createdBy: 'winnow scale' });
  writer.write({ columnData });
  writer.finish();
}
