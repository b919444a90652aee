// Decides, before any pixel is drawn, what every item of a dirty dataset will be: its scene, its
// dirt, its caption, what it duplicates. Each item draws from its own forked stream, so the plan is
// a pure function of (seed, count, options).
import { CORRUPTIONS, type Corruption } from './corrupt';
import type { ImageFormat } from './encode';
import { Rng, type Seed } from './random';
import { sampleScene, type HeldOutMode, type SceneSpec } from './scene';
import { DIRT_KINDS, type DirtKind, type NearDuplicateVariant, type Vocabulary } from './vocabulary';

export type DirtFractions = Record<DirtKind, number>;

export interface PlanOptions {
  count: number;
  seed: Seed;
  /** Fixed size for ordinary items; by default each side is drawn from 224-320 px. */
  width?: number;
  height?: number;
  fractions?: Partial<DirtFractions>;
  /** 'mixed' (default) writes about 5% PNG and 5% WebP among the JPEGs; 'jpg' writes only JPEG. */
  format?: 'mixed' | 'jpg';
  heldOut?: HeldOutMode;
}

export interface PlannedItem {
  index: number;
  id: string;
  dirt: DirtKind[];
  /** Absent for duplicates, which copy their original's file. */
  spec?: SceneSpec;
  format: ImageFormat;
  duplicateOf?: number;
  nearDuplicateVariant?: NearDuplicateVariant;
  corruption?: Corruption;
  caption: string;
  cleanCaption: string;
  /** For mismatched captions: the item whose caption this one carries. */
  captionFrom?: number;
}

export interface DatasetPlan {
  seed: string;
  items: PlannedItem[];
  counts: DirtFractions;
  fractions: DirtFractions;
}

export const DEFAULT_SIDE_RANGE: [number, number] = [224, 320];

export function itemId(index: number): string {
  return String(index + 1).padStart(6, '0');
}

export function resolveFractions(vocab: Vocabulary, fractions: Partial<DirtFractions> = {}): DirtFractions {
  const out = {} as DirtFractions;
  for (const kind of DIRT_KINDS) {
    const f = fractions[kind] ?? vocab.dirt.default_fractions[kind] ?? 0;
    if (!(f >= 0 && f <= 1)) throw new Error(`dirt fraction for ${kind} must be within 0..1, got ${f}`);
    out[kind] = f;
  }
  return out;
}

/** `ordinal` counts items of the same kind, so extreme aspects alternate wide / tall. */
function sceneSize(rng: Rng, vocab: Vocabulary, kind: DirtKind | undefined, ordinal: number, options: PlanOptions): [number, number] {
  const orient = (short: number, long: number): [number, number] => (rng.bool() ? [long, short] : [short, long]);
  if (kind === 'tiny_image') {
    const short = rng.int(vocab.dirt.tiny_side[0], vocab.dirt.tiny_side[1]);
    return orient(short, Math.round(short * rng.uniform(1, 1.33)));
  }
  if (kind === 'extreme_aspect') {
    const ratio = rng.uniform(vocab.dirt.extreme_aspect_ratio[0], vocab.dirt.extreme_aspect_ratio[1]);
    const short = rng.int(100, 160);
    const long = Math.round(short * ratio);
    return ordinal % 2 === 0 ? [long, short] : [short, long];
  }
  const [lo, hi] = DEFAULT_SIDE_RANGE;
  return [options.width ?? rng.int(lo, hi), options.height ?? rng.int(lo, hi)];
}

function shapesOf(spec: SceneSpec): Set<string> {
  return new Set(spec.objects.map((o) => o.shape));
}

export function planDataset(vocab: Vocabulary, options: PlanOptions): DatasetPlan {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error(`count must be a positive integer, got ${count}`);
  const root = new Rng(`winnow-dirty/${options.seed}`);
  const fractions = resolveFractions(vocab, options.fractions);
  const counts = {} as DirtFractions;
  let dirty = 0;
  for (const kind of DIRT_KINDS) dirty += counts[kind] = Math.round(fractions[kind] * count);
  if (dirty > count) throw new Error(`dirt fractions ask for ${dirty} dirty items but count is ${count}`);

  // Kinds are disjoint: each dirty item has exactly one kind, so every count is exact.
  const kindOf: Array<DirtKind | undefined> = new Array(count).fill(undefined);
  const order = root.fork('assign').shuffle(Array.from({ length: count }, (_, i) => i));
  let cursor = 0;
  for (const kind of DIRT_KINDS) for (let k = 0; k < counts[kind]; k++) kindOf[order[cursor++]] = kind;
  const clean = order.slice(cursor).sort((a, b) => a - b);
  if ((counts.exact_duplicate > 0 || counts.near_duplicate > 0) && clean.length === 0) {
    throw new Error('duplicates need at least one clean item to copy');
  }

  const items: PlannedItem[] = [];
  const seen = new Map<DirtKind | undefined, number>();
  for (let index = 0; index < count; index++) {
    const kind = kindOf[index];
    const rng = root.fork('item', index);
    const item: PlannedItem = { index, id: itemId(index), dirt: kind ? [kind] : [], format: 'jpeg', caption: '', cleanCaption: '' };
    const ordinal = seen.get(kind) ?? 0;
    seen.set(kind, ordinal + 1);
    if (kind !== 'exact_duplicate' && kind !== 'near_duplicate') {
      const [width, height] = sceneSize(rng.fork('size'), vocab, kind, ordinal, options);
      item.spec = sampleScene(rng.fork('scene'), vocab, { width, height, heldOut: options.heldOut });
      item.caption = item.cleanCaption = item.spec.caption;
      const roll = rng.fork('format').next();
      if (options.format !== 'jpg' && kind !== 'corrupt_file') item.format = roll < 0.05 ? 'png' : roll < 0.1 ? 'webp' : 'jpeg';
    }
    if (kind === 'corrupt_file') item.corruption = CORRUPTIONS[ordinal % CORRUPTIONS.length];
    if (kind === 'near_duplicate') item.nearDuplicateVariant = vocab.dirt.near_duplicate_variants[ordinal % vocab.dirt.near_duplicate_variants.length];
    if (kind === 'empty_caption') item.caption = '';
    if (kind === 'junk_caption') {
      // Blank junk would be indistinguishable from empty_caption, which is its own kind.
      const junk = vocab.junk_captions.filter((c) => c.trim() !== '');
      item.caption = rng.fork('junk').pick(junk.length > 0 ? junk : vocab.junk_captions);
    }
    items.push(item);
  }

  // Duplicates copy clean items (spread over distinct originals while they last).
  const originals = root.fork('originals').shuffle(clean);
  let next = 0;
  for (const item of items) {
    if (item.dirt[0] !== 'exact_duplicate' && item.dirt[0] !== 'near_duplicate') continue;
    const source = items[originals[next++ % originals.length]];
    item.duplicateOf = source.index;
    item.format = item.dirt[0] === 'exact_duplicate' ? source.format : 'jpeg';
    item.caption = source.caption;
    item.cleanCaption = source.cleanCaption;
  }

  // A mismatched caption comes from another rendered scene sharing none of this scene's shapes.
  const donors = items.filter((it) => it.spec && it.dirt.length === 0);
  for (const item of items) {
    if (item.dirt[0] !== 'mismatched_caption' || !item.spec) continue;
    const mine = shapesOf(item.spec);
    const rng = root.fork('mismatch', item.index);
    const candidates = rng.shuffle(donors.length > 0 ? donors : items.filter((it) => it.spec && it !== item));
    const donor =
      candidates.find((d) => ![...shapesOf(d.spec!)].some((s) => mine.has(s))) ??
      candidates.find((d) => !d.spec!.objects.some((o) => item.spec!.objects.some((m) => m.color === o.color && m.shape === o.shape)));
    if (!donor) throw new Error(`no scene with different classes to lend item ${item.id} a caption`);
    item.caption = donor.cleanCaption;
    item.captionFrom = donor.index;
  }
  return { seed: String(options.seed), items, counts, fractions };
}
