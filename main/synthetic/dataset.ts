// Writes a dirty (or, with zero fractions, clean) image-caption dataset plus its ground truth.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { corruptBytes, isReadableCorruption, type Corruption } from './corrupt';
import { applyGain, applyWatermark, type WatermarkInfo } from './dirt';
import { encodeRgb, FORMAT_EXTENSION, type ImageFormat } from './encode';
import { planDataset, type DirtFractions, type PlanOptions, type PlannedItem } from './dataset-plan';
import { makeNearDuplicate } from './near-duplicate';
import { Rng } from './random';
import { renderScene, type ObjectTruth } from './render';
import type { Box, CocoRle } from '../domain/rle';
import { loadVocabulary, type DirtKind, type NearDuplicateVariant, type Rgb, type Vocabulary } from './vocabulary';

export type DirtyDatasetOptions = PlanOptions;

export interface GroundTruthObject {
  color: string;
  shape: string;
  size: string;
  held_out: boolean;
  rgb: Rgb;
  box: Box;
  area: number;
  occluded: boolean;
  rle: CocoRle;
}

export interface GroundTruthItem {
  id: string;
  source_id: string;
  file: string;
  caption_file: string;
  format: ImageFormat;
  width: number;
  height: number;
  caption: string;
  clean_caption: string;
  dirt: DirtKind[];
  /** False only for unreadable corrupt files. */
  readable: boolean;
  background: string | null;
  objects: GroundTruthObject[];
  duplicate_of?: string;
  near_duplicate_variant?: NearDuplicateVariant;
  near_duplicate_params?: Record<string, unknown>;
  corruption?: Corruption;
  caption_from?: string;
  dirt_params?: Record<string, unknown>;
}

export interface GroundTruth {
  version: 1;
  generator: 'winnow-synthetic';
  seed: string;
  count: number;
  fractions: DirtFractions;
  counts: DirtFractions;
  items: GroundTruthItem[];
}

export interface DirtyDatasetResult {
  dir: string;
  count: number;
  counts: DirtFractions;
  manifestPath: string;
  groundTruthPath: string;
  elapsedMs: number;
}

interface Written {
  bytes: Buffer;
  width: number;
  height: number;
  quality: number;
  objects: ObjectTruth[];
}

const IN_FLIGHT = 4;
const round3 = (v: number): number => Math.round(v * 1000) / 1000;

function objectRecord(o: { color: string; shape: string; size: string; heldOut: boolean; rgb: Rgb; box: Box; area: number; occluded: boolean; rle: CocoRle }): GroundTruthObject {
  return { color: o.color, shape: o.shape, size: o.size, held_out: o.heldOut, rgb: o.rgb, box: o.box, area: o.area, occluded: o.occluded, rle: o.rle };
}

function fileOf(item: PlannedItem): string {
  return `images/${item.id}.${FORMAT_EXTENSION[item.format]}`;
}

function baseRecord(item: PlannedItem, width: number, height: number): GroundTruthItem {
  return {
    id: item.id,
    source_id: `synthetic-${item.id}`,
    file: fileOf(item),
    caption_file: `images/${item.id}.txt`,
    format: item.format,
    width,
    height,
    caption: item.caption,
    clean_caption: item.cleanCaption,
    dirt: item.dirt,
    readable: true,
    background: null,
    objects: [],
  };
}

/** Renders one scene item with its pixel dirt, encodes it and (if asked) corrupts the bytes. */
async function renderItem(vocab: Vocabulary, seed: string, item: PlannedItem): Promise<{ record: GroundTruthItem; written: Written; fileBytes: Buffer }> {
  const spec = item.spec!;
  const rng = new Rng(`winnow-dirty/${seed}`).fork('dirt', item.index);
  const scene = renderScene(spec);
  const kind = item.dirt[0];
  const params: Record<string, unknown> = {};
  let blurSigma = spec.blurSigma;
  if (kind === 'dark') {
    const gain = rng.uniform(vocab.dirt.dark_gain[0], vocab.dirt.dark_gain[1]);
    applyGain(scene.rgb, gain);
    params.gain = round3(gain);
  } else if (kind === 'watermark') {
    const mark: WatermarkInfo = applyWatermark(rng, vocab, scene.rgb, spec.width, spec.height);
    Object.assign(params, { text: mark.text, box: mark.box, alpha: mark.alpha });
  } else if (kind === 'blurred') {
    blurSigma = rng.uniform(vocab.dirt.blur_sigma[0], vocab.dirt.blur_sigma[1]);
    params.sigma = round3(blurSigma);
  }
  const bytes = await encodeRgb(scene.rgb, spec.width, spec.height, { format: item.format, quality: spec.jpegQuality, blurSigma });
  let fileBytes = bytes;
  const record = baseRecord(item, spec.width, spec.height);
  record.background = spec.background.kind;
  record.objects = scene.objects.map(objectRecord);
  if (item.corruption) {
    const png = item.corruption === 'wrong_extension' ? await encodeRgb(scene.rgb, spec.width, spec.height, { format: 'png', quality: 100, blurSigma }) : bytes;
    fileBytes = corruptBytes(rng.fork('corrupt'), item.corruption, bytes, png);
    record.corruption = item.corruption;
    // `format` is what the bytes are, which for wrong_extension is not what the .jpg name says.
    if (item.corruption === 'wrong_extension') record.format = 'png';
    record.readable = isReadableCorruption(item.corruption);
  }
  if (item.captionFrom !== undefined) record.caption_from = `${item.captionFrom + 1}`.padStart(6, '0');
  if (Object.keys(params).length > 0) record.dirt_params = params;
  return { record, written: { bytes, width: spec.width, height: spec.height, quality: spec.jpegQuality, objects: scene.objects }, fileBytes };
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(runners);
}

/**
 * Writes `images/NNNNNN.{jpg,png,webp}` + `images/NNNNNN.txt`, `manifest.jsonl` and
 * `ground_truth.json` under dir. Output bytes depend only on the options.
 */
export async function writeDirtyDataset(dir: string, options: DirtyDatasetOptions): Promise<DirtyDatasetResult> {
  const started = performance.now();
  const vocab = loadVocabulary();
  const plan = planDataset(vocab, options);
  await mkdir(join(dir, 'images'), { recursive: true });
  const records: GroundTruthItem[] = new Array(plan.items.length);
  const originals = new Map<number, Written>();
  const neededOriginals = new Set(plan.items.flatMap((it) => (it.duplicateOf === undefined ? [] : [it.duplicateOf])));

  const writeItem = async (record: GroundTruthItem, bytes: Buffer): Promise<void> => {
    await writeFile(join(dir, record.file), bytes);
    await writeFile(join(dir, record.caption_file), record.caption);
  };

  await pool(
    plan.items.filter((it) => it.spec),
    IN_FLIGHT,
    async (item) => {
      const { record, written, fileBytes } = await renderItem(vocab, plan.seed, item);
      if (neededOriginals.has(item.index)) originals.set(item.index, written);
      records[item.index] = record;
      await writeItem(record, fileBytes);
    },
  );

  await pool(
    plan.items.filter((it) => it.duplicateOf !== undefined),
    IN_FLIGHT,
    async (item) => {
      const source = originals.get(item.duplicateOf!)!;
      const sourceRecord = records[item.duplicateOf!];
      let record: GroundTruthItem;
      let bytes: Buffer;
      if (item.nearDuplicateVariant) {
        const rng = new Rng(`winnow-dirty/${plan.seed}`).fork('near', item.index);
        const near = await makeNearDuplicate(rng, item.nearDuplicateVariant, source);
        record = baseRecord(item, near.width, near.height);
        record.objects = near.objects.map(objectRecord);
        record.near_duplicate_variant = item.nearDuplicateVariant;
        record.near_duplicate_params = near.params;
        bytes = near.bytes;
      } else {
        record = baseRecord(item, source.width, source.height);
        record.objects = sourceRecord.objects;
        bytes = source.bytes;
      }
      record.background = sourceRecord.background;
      record.duplicate_of = sourceRecord.id;
      records[item.index] = record;
      await writeItem(record, bytes);
    },
  );

  const manifestPath = join(dir, 'manifest.jsonl');
  const manifest = records.map((r) => JSON.stringify({ path: r.file, caption: r.caption, source_id: r.source_id })).join('\n');
  await writeFile(manifestPath, `${manifest}\n`);
  const groundTruth: GroundTruth = {
    version: 1,
    generator: 'winnow-synthetic',
    seed: plan.seed,
    count: plan.items.length,
    fractions: plan.fractions,
    counts: plan.counts,
    items: records,
  };
  const groundTruthPath = join(dir, 'ground_truth.json');
  await writeFile(groundTruthPath, JSON.stringify(groundTruth));
  return { dir, count: plan.items.length, counts: plan.counts, manifestPath, groundTruthPath, elapsedMs: performance.now() - started };
}
