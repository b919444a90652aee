// Runs the per-item work of a plan (embed images and captions, pair score, caption and geometry signals, and the
// plan's stages: pixel stats + pHash, labels, concepts, detection) over one shard, into per-shard outputs:
// items.parquet, image.npy, text.npy, annotations.parquet (stages that find objects) and shard.json, staged in a
// private folder and committed once (storage.ts). A shard whose archive cannot be read fails as a whole
// with that reason (PoisonedShardError): its rows would be silently missing from the merge otherwise.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ScalePlanT } from '../../domain/scale';
import { NpyWriter } from '../export/npy';
import { probeBuffer } from '../ingest/probe';
import { WebDatasetSource } from '../ingest/webdataset';
import { captionStats } from '../curate/pixel-stats';
import { dot } from '../curate/zero-shot';
import { defaultBatchSize, embedImageFiles } from '../vision/embed-files';
import { PreprocessPool } from '../vision/preprocess-pool';
import { ItemTableWriter, type ItemRow } from './item-table';
import { shardEntries, type ShardEntry } from './shard-entries';
import { buildShardIndex } from './shard-index';
import type { ShardModel } from './shard-model';
import { ANNOTATIONS_FILE, type AnnotationRow, writeAnnotationTable } from './stages/annotation-table';
import { runStages, type StageError, type StageItem } from './stages/run-stages';
import { prepareStages, type ShardStages, stagesKey } from './stages/shard-stages';
import type { ShardStorage } from './storage';
import { shardPath, type ShardSpec } from './units';

export { shardPath };

/** A shard whose input is broken as a whole (an unreadable tar): retrying cannot help. */
export class PoisonedShardError extends Error {
  readonly poisoned = true;
}

export interface ShardSummary {
  shard: string;
  index: number;
  count: number;
  items: number;
  embedded: number;
  errors: number;
  dim: number;
  model: string;
  modelHash: string;
  elapsedMs: number;
  /** false when another attempt had committed this shard already (its output stays, this one is dropped). */
  committed: boolean;
  /** true when the shard was already committed before this attempt started (nothing ran). */
  skipped?: boolean;
  /** Rows in annotations.parquet (0 when the plan has no labels / detect stage). */
  annotations?: number;
  /** Items a stage failed on (they keep their other outputs). */
  stageErrors?: StageError[];
}

export interface RunShardOptions {
  storage: ShardStorage;
  model: ShardModel;
  pool?: PreprocessPool;
  /** The plan's stages prepared once (prepareStages) and kept across shards; prepared for this shard alone when absent. */
  stages?: ShardStages;
  signal?: AbortSignal;
  /** Items done of the shard's total (total may be 0 for an empty shard). */
  onProgress?: (done: number, total: number) => void | Promise<void>;
}

async function shardTotal(plan: ScalePlanT, shard: ShardSpec, signal?: AbortSignal): Promise<number> {
  let n = 0;
  for (const u of shard.units) n += u.kind === 'rows' ? u.end - u.start : await new WebDatasetSource(u.tar).count(signal);
  return n;
}

interface Pending { row: ItemRow; bytes: Uint8Array | null }

async function toPending(e: ShardEntry): Promise<Pending> {
  const { entry } = e;
  const base: ItemRow = {
    source: e.source, key: entry.key, uri: null, caption: null, sha256: null, width: null, height: null, format: null,
    image_row: null, text_row: null, error: null, annotations: null, extra: null, provenance: null, signals: {},
  };
  if (entry.type === 'bad') {
    if (entry.kind === 'bad_archive') throw new PoisonedShardError(`${entry.kind}: ${entry.message}`);
    return { row: { ...base, error: `${entry.kind}: ${entry.message}` }, bytes: null };
  }
  const caption = entry.caption;
  const words = captionStats(caption);
  const row: ItemRow = {
    ...base, caption, uri: entry.type === 'file' ? entry.file : entry.type === 'remote' ? entry.url : entry.uri,
    annotations: entry.annotations?.length ? JSON.stringify(entry.annotations) : null,
    extra: entry.extra ? JSON.stringify(entry.extra) : null,
    provenance: entry.provenance ? JSON.stringify(entry.provenance) : null,
    signals: { 'caption.words': words.words, 'caption.chars': words.chars },
  };
  if (entry.type === 'remote') return { row: { ...row, error: 'remote: URL items are downloaded before a scale-out run (winnow download)' }, bytes: null };
  let bytes: Uint8Array;
  try {
    bytes = entry.type === 'file' ? await readFile(entry.file) : entry.data;
  } catch (err) {
    return { row: { ...row, error: `io_error: ${(err as Error).message}` }, bytes: null };
  }
  try {
    const probe = probeBuffer(bytes, entry.type === 'file' ? entry.file : entry.name);
    row.sha256 = probe.sha256;
    row.width = probe.width;
    row.height = probe.height;
    row.format = probe.format;
    row.signals['image.min_side'] = Math.min(probe.width, probe.height);
    row.signals['image.aspect'] = Math.max(probe.width, probe.height) / Math.min(probe.width, probe.height);
  } catch (err) {
    row.sha256 = createHash('sha256').update(bytes).digest('hex');
    return { row: { ...row, error: `unreadable: ${(err as Error).message}` }, bytes: null };
  }
  return { row, bytes };
}

/** Runs one shard and commits its outputs; a shard already committed is skipped (resume, retries). */
export async function runShard(plan: ScalePlanT, shard: ShardSpec, o: RunShardOptions): Promise<ShardSummary> {
  const name = shardPath(shard);
  const started = performance.now();
  const { model, id, hash } = o.model;
  const base = { shard: name, index: shard.index, count: shard.count, dim: model.dim, model: id, modelHash: hash };
  if (await o.storage.committed(name)) {
    const prior = await o.storage.readJson<ShardSummary>(`${name}/shard.json`);
    return { ...base, items: prior?.items ?? 0, embedded: prior?.embedded ?? 0, errors: prior?.errors ?? 0, elapsedMs: 0, committed: false, skipped: true };
  }
  const total = await shardTotal(plan, shard, o.signal);
  // A plan written before stages existed has none: embedding and caption / geometry signals only.
  const planStages = plan.stages ?? {};
  if (o.stages && o.stages.key !== stagesKey(plan.model, planStages)) throw new Error('the prepared stages belong to another plan');
  const stages = o.stages ?? (await prepareStages(plan.model, planStages, o.model));
  try {
    return await runWithStages(plan, shard, o, stages, { name, started, total, base });
  } finally {
    if (!o.stages) await stages.dispose();
  }
}

interface ShardRunState { name: string; started: number; total: number; base: Omit<ShardSummary, 'items' | 'embedded' | 'errors' | 'elapsedMs' | 'committed'> }

async function runWithStages(plan: ScalePlanT, shard: ShardSpec, o: RunShardOptions, stages: ShardStages, { name, started, total, base }: ShardRunState): Promise<ShardSummary> {
  const { model, id } = o.model;
  const staging = path.join(await o.storage.stagingRoot(), `${path.basename(name)}.${randomUUID()}`);
  await mkdir(staging, { recursive: true });
  const ownsPool = !o.pool;
  const pool = o.pool ?? new PreprocessPool(model.preprocess);
  const table = new ItemTableWriter(path.join(staging, 'items.parquet'), stages.signals);
  const annotations: AnnotationRow[] = [];
  const stageErrors: StageError[] = [];
  const images = new NpyWriter(path.join(staging, 'image.npy'), model.dim, 'float32');
  const texts = new NpyWriter(path.join(staging, 'text.npy'), model.dim, 'float32');
  const batchSize = plan.batchSize ?? defaultBatchSize(model);
  let done = 0;
  let embedded = 0;
  let errors = 0;
  let textRows = 0;
  const flush = async (batch: Pending[]) => {
    const good = batch.filter((p) => p.bytes);
    const vectors = new Map<Pending, Float32Array>();
    if (good.length) {
      for await (const out of embedImageFiles(model, good.map((p) => p.bytes!), { pool, batchSize: good.length, signal: o.signal })) {
        for (const err of out.errors) good[err.index].row.error = `unreadable: ${err.reason}`;
        const withText = out.indexes.filter((i) => good[i].row.caption !== null);
        const textVecs = withText.length ? await model.embedTexts(withText.map((i) => good[i].row.caption!)) : new Float32Array(0);
        const dim = model.dim;
        out.indexes.forEach((i, r) => {
          const vec = out.embeddings.subarray(r * dim, (r + 1) * dim);
          good[i].row.image_row = embedded++;
          images.append(vec);
          vectors.set(good[i], vec);
          const t = withText.indexOf(i);
          if (t < 0) return;
          const tv = textVecs.subarray(t * dim, (t + 1) * dim);
          good[i].row.text_row = textRows++;
          texts.append(tv);
          good[i].row.signals['clip.pair'] = dot(vec, tv);
        });
      }
    }
    const items: StageItem[] = batch.map((p) => ({ row: p.row, bytes: p.bytes, image: vectors.get(p) ?? null }));
    await runStages(stages, items, annotations, stageErrors, o.signal);
    for (const p of batch) {
      if (p.row.error) errors++;
      table.add(p.row);
    }
    done += batch.length;
    await o.onProgress?.(done, total);
  };
  try {
    let batch: Pending[] = [];
    for await (const e of shardEntries(plan, shard, o.signal)) {
      batch.push(await toPending(e));
      if (batch.length >= batchSize) {
        await flush(batch);
        batch = [];
      }
    }
    if (batch.length) await flush(batch);
    table.finish();
    if (stages.labels || stages.detect) writeAnnotationTable(path.join(staging, ANNOTATIONS_FILE), annotations);
    images.close();
    texts.close();
    await buildShardIndex(staging, id, o.signal);
  } catch (err) {
    images.dispose();
    texts.dispose();
    await rm(staging, { recursive: true, force: true });
    throw err;
  } finally {
    if (ownsPool) await pool.close();
  }
  const summary: ShardSummary = {
    ...base, items: done, embedded, errors, elapsedMs: Math.round(performance.now() - started), committed: true,
    ...((stages.labels || stages.detect) && { annotations: annotations.length }), ...(stageErrors.length && { stageErrors }),
  };
  await writeFile(path.join(staging, 'shard.json'), JSON.stringify({ ...summary, units: shard.units }, null, 2));
  summary.committed = await o.storage.commit(name, staging);
  return summary;
}
