// The deterministic merge of a plan's shard outputs, streamed: every committed shard's items.parquet is
// sorted by (source, key) (the shard writes it so), and the merge is a k-way merge of those tables read
// one row group at a time, writing the merged table, the image and text matrices and the per-object
// annotations in that order as it goes. What needs a global view (same sha256 anywhere, perceptual and
// semantic groups, quantile rules) runs on an on-disk scratch database (merge-scratch.ts) and on the
// merged image matrix, so memory is one row group per shard, not the dataset. The plan's rules are then
// evaluated with the project's rule code into selection.parquet (kept + reasons per row) and counted in
// result.json. The same inputs give the same files whatever the number of shards or workers.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EvaluationT } from '../../domain/curation';
import type { ScalePlanT } from '../../domain/scale';
import { normalizeRule } from '../curate/rules';
import { NpyWriter } from '../export/npy';
import { mergeAnnotations } from './annotation-merge';
import { semanticGroups } from './dedup-step';
import { compareItems, ItemTableReader, ItemTableWriter, SHARD_SIGNALS, type ItemRow } from './item-table';
import { checkSorted, mergeSorted } from './kway';
import { MergeScratch } from './merge-scratch';
import { NpyRows } from './npy-rows';
import { TableWriter } from './parquet-out';
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
  duplicates: { exactGroups: number; phashGroups: number; semanticGroups: number; threshold: number; method: string };
  /** The plan's rules over the merged rows, counted as the project's selection.evaluate counts them. */
  selection: EvaluationT;
  /** Per-object rows merged from the shards' annotations.parquet. */
  annotations: number;
  elapsedMs: number;
}

/** Where a shard's failure reason is kept (written by whoever saw it fail: the queue, run-shard). */
export const failurePath = (shard: string) => `failures/${path.basename(shard)}.json`;

export interface MergeOptions {
  signal?: AbortSignal;
  semantic?: (images: NpyRows) => Promise<number[][]>;
  /** Rows per row group of the merged tables (and per selection batch). */
  groupSize?: number;
}

interface Part { name: string; dir: string; table: ItemTableReader; summary: ShardSummary; images?: NpyRows; texts?: NpyRows }

/** A shard's rows; its matrices are opened when the merge reaches the shard and closed when it is done. */
async function* partRows(p: Part): AsyncGenerator<ItemRow> {
  p.images = new NpyRows(path.join(p.dir, 'image.npy'));
  p.texts = new NpyRows(path.join(p.dir, 'text.npy'));
  try {
    yield* checkSorted(p.table.items(), compareItems, `${p.name}/items.parquet is not in (source, key) order (written by an older Winnow?); rerun that shard`);
  } finally {
    p.images.close();
    p.texts.close();
    p.images = p.texts = undefined;
  }
}

export async function mergeShards(plan: ScalePlanT, count: number, storage: ShardStorage, o: MergeOptions = {}): Promise<MergeResult> {
  const started = performance.now();
  const groupSize = o.groupSize ?? 4096;
  const failed: ShardFailure[] = [];
  const parts: Part[] = [];
  const root = await storage.stagingRoot();
  const staging = path.join(root, `result.${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  const scratch = new MergeScratch(path.join(root, `merge-scratch.${randomUUID()}.sqlite`), plan.sources.length);
  try {
    for (let index = 0; index < count; index++) {
      const name = shardPath({ index, count });
      if (!(await storage.committed(name))) {
        const why = await storage.readJson<{ reason: string }>(failurePath(name));
        failed.push({ shard: name, reason: why?.reason ?? 'not run (no output committed)' });
        continue;
      }
      const dir = await storage.open(name);
      parts.push({ name, dir, table: await ItemTableReader.open(path.join(dir, 'items.parquet')), summary: (await storage.readJson<ShardSummary>(`${name}/shard.json`))! });
    }
    const dims = new Set(parts.map((p) => p.summary.dim));
    const hashes = new Set(parts.map((p) => p.summary.modelHash));
    if (dims.size > 1 || hashes.size > 1) throw new Error('shards were embedded by different models; rerun them with one model');
    const dim = parts[0]?.summary.dim ?? 1;
    // The known signals first, in their usual order, then any a stage added, by first appearance.
    const signalNames = [...new Set([...SHARD_SIGNALS.filter((s) => parts.some((p) => p.table.signalNames.includes(s))), ...parts.flatMap((p) => p.table.signalNames)])];
    const table = new ItemTableWriter(path.join(staging, 'items.parquet'), signalNames, groupSize);
    const images = new NpyWriter(path.join(staging, 'image.npy'), dim, 'float32');
    const texts = new NpyWriter(path.join(staging, 'text.npy'), dim, 'float32');
    let rows = 0;
    let imageRows = 0;
    let textRows = 0;
    let errors = 0;
    // Shards are opened as the merge reaches their first key (table statistics), so shards over disjoint
    // key ranges are read one after another and only overlapping ones are held together.
    // A bound has only (source, key): all the comparison reads.
    const inputs = parts.map((p) => ({ lower: p.table.lowerBound() as ItemRow | null, open: () => partRows(p) }));
    let prev: ItemRow | null = null;
    for await (const { value: row, stream } of mergeSorted(inputs, compareItems)) {
      o.signal?.throwIfAborted();
      if (prev && compareItems(prev, row) === 0) throw new Error(`item ${row.source}/${row.key} is in two shards (${parts[stream].name} and an earlier one); a key must be unique within its source`);
      prev = row;
      const p = parts[stream];
      const out: ItemRow = { ...row, image_row: null, text_row: null };
      if (row.image_row !== null) { images.append(p.images!.read(row.image_row, 1)); out.image_row = imageRows++; }
      if (row.text_row !== null) { texts.append(p.texts!.read(row.text_row, 1)); out.text_row = textRows++; }
      if (row.error) errors++;
      table.add(out);
      scratch.add(rows++, out);
    }
    table.finish();
    images.close();
    texts.close();
    const annotations = await mergeAnnotations(parts.map((p) => path.join(p.dir, 'annotations.parquet')).filter(existsSync), path.join(staging, 'annotations.parquet'), groupSize);

    const imageSrc = new NpyRows(path.join(staging, 'image.npy'));
    let counts: { exact: number; phash: number; semantic: number };
    try {
      counts = scratch.groups(await (o.semantic ?? ((src) => semanticGroups(src, plan.dedup, o.signal)))(imageSrc));
    } finally {
      imageSrc.close();
    }
    const dups = new TableWriter(path.join(staging, 'duplicates.parquet'), [['group', 'INT32'], ['kind', 'STRING'], ['source', 'INT32'], ['key', 'STRING'], ['keeper', 'BOOLEAN']], groupSize);
    for (const m of scratch.members()) dups.add({ group: m.id, kind: m.kind, source: m.source, key: m.key, keeper: m.keeper });
    dups.finish();

    const rules = plan.rules.map(normalizeRule);
    const selection = scratch.evaluate(rules);
    const marks = new TableWriter(path.join(staging, 'selection.parquet'), [['source', 'INT32'], ['key', 'STRING'], ['kept', 'BOOLEAN'], ['reasons', 'STRING']], groupSize);
    for (let from = 0; from < rows; from += groupSize) {
      o.signal?.throwIfAborted();
      for (const m of scratch.marks(rules, from, Math.min(rows, from + groupSize))) marks.add({ source: m.source, key: m.key, kept: m.kept, reasons: m.reasons.length ? JSON.stringify(m.reasons) : null });
    }
    marks.finish();

    const result: MergeResult = {
      plan: plan.name, shards: count, merged: parts.length, failed, items: rows, embedded: imageRows, errors, dim,
      model: parts[0]?.summary.model ?? null, modelHash: parts[0]?.summary.modelHash ?? null,
      duplicates: { exactGroups: counts.exact, phashGroups: counts.phash, semanticGroups: counts.semantic, threshold: plan.dedup.threshold, method: plan.dedup.method },
      selection, annotations, elapsedMs: Math.round(performance.now() - started),
    };
    await writeFile(path.join(staging, 'result.json'), JSON.stringify(result, null, 2));
    await writeFile(path.join(staging, 'plan.json'), JSON.stringify(plan, null, 2));
    // A re-merge (after failed shards were rerun) replaces the previous result.
    await storage.remove(RESULT);
    await storage.commit(RESULT, staging);
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    scratch.close();
    for (const p of parts) { p.images?.close(); p.texts?.close(); }
  }
}
