import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// Resolved from this module, not the cwd, so the CLI, tests and the app all find the same file.
export const VOCABULARY_PATH = fileURLToPath(new URL('../../models/world/vocabulary.json', import.meta.url));

const rgb = z.tuple([z.number().int().min(0).max(255), z.number().int().min(0).max(255), z.number().int().min(0).max(255)]);
const range = z.tuple([z.number(), z.number()]).refine(([a, b]) => a <= b, 'range must be [min, max]');
const point = z.tuple([z.number().min(-1).max(1), z.number().min(-1).max(1)]);

const dirtKinds = [
  'mismatched_caption',
  'exact_duplicate',
  'near_duplicate',
  'corrupt_file',
  'tiny_image',
  'extreme_aspect',
  'empty_caption',
  'junk_caption',
  'watermark',
  'blurred',
  'dark',
] as const;
export const DIRT_KINDS = dirtKinds;
export type DirtKind = (typeof dirtKinds)[number];

const nearDuplicateVariants = ['reencode', 'resize', 'crop', 'brighten'] as const;
export const NEAR_DUPLICATE_VARIANTS = nearDuplicateVariants;
export type NearDuplicateVariant = (typeof nearDuplicateVariants)[number];

const backgroundKinds = ['plain', 'gradient', 'noise', 'stripes', 'checker'] as const;
export type BackgroundKind = (typeof backgroundKinds)[number];

export const vocabularySchema = z.object({
  version: z.literal(1),
  shapes: z.record(z.string(), z.object({ polygon: z.array(point).min(3), rotates: z.boolean() })),
  colors: z.record(z.string(), rgb),
  color_jitter: z.number().int().min(0),
  sizes: z.record(z.string(), range),
  max_rotation_degrees: z.number().min(0),
  backgrounds: z.object({
    kinds: z.array(z.enum(backgroundKinds)).min(1),
    palette: z.array(rgb).min(2),
    noise_sigma: range,
    names: z.record(z.enum(backgroundKinds), z.string()),
  }),
  objects_per_scene: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
  max_overlap_iou: z.number().min(0).max(1),
  blur_sigma: range,
  jpeg_quality: z.tuple([z.number().int().min(1).max(100), z.number().int().min(1).max(100)]),
  held_out: z.array(z.tuple([z.string(), z.string()])),
  templates: z.object({
    object: z.array(z.string()).min(1),
    one: z.array(z.string()).min(1),
    two: z.array(z.string()).min(1),
    three: z.array(z.string()).min(1),
    zero_shot: z.string(),
  }),
  junk_captions: z.array(z.string()).min(1),
  watermark_texts: z.array(z.string()).min(1),
  dirt: z.object({
    kinds: z.array(z.enum(dirtKinds)),
    near_duplicate_variants: z.array(z.enum(nearDuplicateVariants)).min(1),
    default_fractions: z.record(z.enum(dirtKinds), z.number().min(0).max(1)),
    tiny_side: range,
    extreme_aspect_ratio: range,
    blur_sigma: range,
    dark_gain: range,
  }),
});

export type Vocabulary = z.infer<typeof vocabularySchema>;
export type Rgb = [number, number, number];

/** Parses and cross-checks a vocabulary object (names used in held_out must exist). */
export function parseVocabulary(raw: unknown): Vocabulary {
  const vocab = vocabularySchema.parse(raw);
  for (const [color, shape] of vocab.held_out) {
    if (!(color in vocab.colors)) throw new Error(`vocabulary: held_out color "${color}" is not a color`);
    if (!(shape in vocab.shapes)) throw new Error(`vocabulary: held_out shape "${shape}" is not a shape`);
  }
  if (vocab.objects_per_scene[0] > vocab.objects_per_scene[1]) throw new Error('vocabulary: objects_per_scene must be [min, max]');
  if (vocab.objects_per_scene[1] > 3) throw new Error('vocabulary: captions have templates for at most three objects');
  return vocab;
}

let cached: Vocabulary | undefined;

/** The shipped vocabulary, read once per process. */
export function loadVocabulary(path: string = VOCABULARY_PATH): Vocabulary {
  if (path !== VOCABULARY_PATH) return parseVocabulary(JSON.parse(readFileSync(path, 'utf8')));
  cached ??= parseVocabulary(JSON.parse(readFileSync(path, 'utf8')));
  return cached;
}

export function isHeldOut(vocab: Vocabulary, color: string, shape: string): boolean {
  return vocab.held_out.some(([c, s]) => c === color && s === shape);
}
