// A scale-out plan: what a curator chose on a sample in the app (sources, model, rules, dedup settings),
// written as JSON and run over the full dataset shard by shard on many machines (main/engine/scale).
import { z } from 'zod';
import { RuleList } from './curation';
import { DetectSettings, LabelSettings } from './stage-settings';
import { SourceKind } from './project';
import { SEMANTIC_DEDUP_DEFAULTS } from './similarity-defaults';

export const PlanSource = z.object({ kind: SourceKind, path: z.string().min(1) }).strict();

export const PlanDedup = z.object({
  /** Cosine at or above which two images are semantic near-duplicates. */
  threshold: z.number().gt(0).max(1).default(SEMANTIC_DEDUP_DEFAULTS.cosineThreshold),
  /** `graph` (kNN over all rows, in the merge) or `semdedup` (k-means centroids on a sample, then one job per cluster). */
  method: z.enum(['graph', 'semdedup']).default('graph'),
  /** k-means clusters for semdedup; default ≈ rows / 1000. */
  clusters: z.number().int().positive().optional(),
  /** Rows the centroids are trained on (semdedup). */
  sample: z.number().int().positive().default(100_000),
}).strict();

/**
 * The item-walking stages a shard runs besides embedding (and clip.pair, caption and geometry signals, always
 * computed). Each is the project's own job's per-item work, with every model-dependent value resolved at plan
 * export (the project's model choice and calibration), so every shard computes what the app computed.
 */
export const PlanStages = z.object({
  /** Pixel statistics (image.sharpness|blur|edge_width|brightness|entropy) and the perceptual hash (`phash` column). */
  stats: z.object({}).strict().optional(),
  /** Zero-shot labels (curate.label): signals label.confidence|margin|uncertain, top-k labels as annotation rows without a box. */
  labels: LabelSettings.extend({
    model: z.string().min(1),
    classes: LabelSettings.shape.classes.max(1000),
    multiLabel: z.boolean().default(false),
  }).strict().refine((l) => !l.multiLabel || l.classes.every((c) => l.thresholds?.[c.name] !== undefined), {
    // A shard cannot see the whole dataset's cosine histogram: plan export fixes the project run's thresholds.
    message: 'multi-label needs a cosine threshold for every class',
  }).optional(),
  /** Concept scores (curate.concepts): signal concept.<slug> = cosine of the image with the prompt, from the plan's model. */
  concepts: z.object({ prompts: z.array(z.string().min(1)).min(1) }).strict().optional(),
  /** Detection (detect.run): boxes (and masks when `segment`) in annotations.parquet. */
  detect: DetectSettings.extend({ model: z.string().min(1), segment: z.boolean().default(false) }).strict().optional(),
}).strict();

export const ScalePlan = z.object({
  version: z.literal(1),
  name: z.string().min(1).max(200).default('plan'),
  sources: z.array(PlanSource).min(1),
  /** Model id (registry or installed) or an absolute model folder. */
  model: z.string().min(1),
  /** Rows of a manifest / folder / parquet source per natural shard (tars are one shard each). */
  rowsPerShard: z.number().int().positive().default(10_000),
  /** Images per inference call; the model's provider default when absent. */
  batchSize: z.number().int().positive().optional(),
  /** The project's rule list, carried as the curator left it; the merge counts kept / removed with it. */
  rules: RuleList.default([]),
  dedup: PlanDedup.default({ threshold: SEMANTIC_DEDUP_DEFAULTS.cosineThreshold, method: 'graph', sample: 100_000 }),
  /** Where shard outputs and the merged result go: a folder (shared filesystem) or s3://bucket/prefix. */
  output: z.string().min(1),
  /** Stages beyond embedding; a plan without them embeds and measures captions and geometry only. */
  stages: PlanStages.default({}),
}).strict();

export type ScalePlanT = z.output<typeof ScalePlan>;
export type ScalePlanInput = z.input<typeof ScalePlan>;
export type PlanSourceT = z.output<typeof PlanSource>;
export type PlanStagesT = z.output<typeof PlanStages>;

/** `i/N`: shard i (0-based) of N. */
export interface ShardRef { index: number; count: number }

export function parseShardRef(text: string): ShardRef {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--shard takes i/N (shard i of N, 0-based), not "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) throw new Error(`--shard ${text}: i must be in 0..N-1`);
  return { index, count };
}

export const shardName = (s: ShardRef) => `${String(s.index).padStart(5, '0')}-of-${String(s.count).padStart(5, '0')}`;
