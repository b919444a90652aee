import { sampleBackground, type BackgroundSpec } from './background';
import { captionFor } from './captions';
import { polygonBounds, transformPolygon, type Point } from './raster';
import type { Rng } from './random';
import { type Box, boxIou } from '../domain/rle';
import { isHeldOut, type Rgb, type Vocabulary } from './vocabulary';

export type HeldOutMode = 'exclude' | 'only' | 'include';

/** Pin any of an object's classes; unpinned ones are sampled. */
export interface ForcedObject {
  color?: string;
  shape?: string;
  size?: string;
}

export interface SceneOptions {
  width: number;
  height: number;
  singleObject?: boolean;
  /** Which of the vocabulary's held-out color-shape pairs may appear. Default 'include'. */
  heldOut?: HeldOutMode;
  /** Exactly these objects, in drawing order (overrides singleObject and the object count). */
  objects?: ForcedObject[];
}

export interface ObjectSpec {
  color: string;
  shape: string;
  size: string;
  heldOut: boolean;
  /** Vocabulary color plus per-channel integer jitter. */
  rgb: Rgb;
  cx: number;
  cy: number;
  radius: number;
  rotationDeg: number;
  /** The placed polygon in pixel coordinates. */
  polygon: Point[];
  /** Tight box of the polygon, [x, y, w, h] in pixels. */
  box: Box;
}

/** A complete, serializable description of a scene; rendering it is a pure function. */
export interface SceneSpec {
  width: number;
  height: number;
  background: BackgroundSpec;
  objects: ObjectSpec[];
  /** Gaussian blur applied before encoding (0 = none). */
  blurSigma: number;
  jpegQuality: number;
  caption: string;
}

const SIZE_TRIES = 50;
const POSITION_TRIES = 100;
const SCENE_TRIES = 20;

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function pickClass(rng: Rng, vocab: Vocabulary, forced: ForcedObject, mode: HeldOutMode): [string, string] {
  const colors = forced.color !== undefined ? [forced.color] : Object.keys(vocab.colors);
  const shapes = forced.shape !== undefined ? [forced.shape] : Object.keys(vocab.shapes);
  for (const c of colors) if (!(c in vocab.colors)) throw new Error(`unknown color "${c}"`);
  for (const s of shapes) if (!(s in vocab.shapes)) throw new Error(`unknown shape "${s}"`);
  // Uniform over the allowed pairs equals uniform color x uniform shape with rejection.
  const pairs: Array<[string, string]> = [];
  for (const c of colors) {
    for (const s of shapes) {
      const held = isHeldOut(vocab, c, s);
      if ((mode === 'exclude' && held) || (mode === 'only' && !held)) continue;
      pairs.push([c, s]);
    }
  }
  if (pairs.length === 0) throw new Error(`no ${colors.join('|')} ${shapes.join('|')} allowed with heldOut "${mode}"`);
  return rng.pick(pairs);
}

function jitterColor(rng: Rng, base: Rgb, jitter: number): Rgb {
  return base.map((v) => Math.min(255, Math.max(0, v + rng.int(-jitter, jitter)))) as Rgb;
}

function placeObject(rng: Rng, vocab: Vocabulary, forced: ForcedObject, mode: HeldOutMode, width: number, height: number, placed: readonly Box[]): ObjectSpec | null {
  const [color, shape] = pickClass(rng, vocab, forced, mode);
  const size = forced.size ?? rng.pick(Object.keys(vocab.sizes));
  const sizeRange = vocab.sizes[size];
  if (!sizeRange) throw new Error(`unknown size "${size}"`);
  const def = vocab.shapes[shape];
  const rgb = jitterColor(rng, vocab.colors[color], vocab.color_jitter);
  const short = Math.min(width, height);
  for (let s = 0; s < SIZE_TRIES; s++) {
    const radius = rng.uniform(sizeRange[0], sizeRange[1]) * short;
    const max = vocab.max_rotation_degrees;
    const rotationDeg = def.rotates ? rng.uniform(-max, max) : 0;
    const b = polygonBounds(transformPolygon(def.polygon, { cx: 0, cy: 0, radius, rotationDeg }));
    // A rotated large shape can be wider than the image; draw a new size/rotation then.
    if (b.maxX - b.minX > width || b.maxY - b.minY > height) continue;
    for (let p = 0; p < POSITION_TRIES; p++) {
      const cx = rng.uniform(-b.minX, width - b.maxX);
      const cy = rng.uniform(-b.minY, height - b.maxY);
      const box: Box = [round2(cx + b.minX), round2(cy + b.minY), round2(b.maxX - b.minX), round2(b.maxY - b.minY)];
      if (placed.some((other) => boxIou(box, other) > vocab.max_overlap_iou)) continue;
      const polygon = transformPolygon(def.polygon, { cx, cy, radius, rotationDeg });
      return { color, shape, size, heldOut: isHeldOut(vocab, color, shape), rgb, cx, cy, radius, rotationDeg, polygon, box };
    }
  }
  return null;
}

/** Samples a scene: background, 1-3 non-overlapping objects, blur, JPEG quality and caption. */
export function sampleScene(rng: Rng, vocab: Vocabulary, options: SceneOptions): SceneSpec {
  const { width, height } = options;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`scene size must be positive integers, got ${width}x${height}`);
  }
  const mode = options.heldOut ?? 'include';
  const background = sampleBackground(rng.fork('background'), vocab, width, height);
  const [minObjects, maxObjects] = vocab.objects_per_scene;
  const countRng = rng.fork('count');
  const forced = options.objects ?? Array.from({ length: options.singleObject ? 1 : countRng.int(minObjects, maxObjects) }, () => ({}));
  if (forced.length === 0) throw new Error('a scene needs at least one object');
  let objects: ObjectSpec[] = [];
  for (let attempt = 0; ; attempt++) {
    const geometry = rng.fork('geometry', attempt);
    objects = [];
    let missing: ForcedObject | undefined;
    for (const want of forced) {
      const obj = placeObject(geometry, vocab, want, mode, width, height, objects.map((o) => o.box));
      if (obj) objects.push(obj);
      else missing ??= want;
    }
    // Sampled objects that do not fit beside the others are dropped; pinned ones must all appear,
    // so a crowded pinned scene is redrawn from scratch a few times before giving up.
    if (!options.objects || !missing) break;
    if (attempt >= SCENE_TRIES) throw new Error(`cannot place ${JSON.stringify(missing)} in a ${width}x${height} scene`);
  }
  const look = rng.fork('look');
  const blurSigma = look.uniform(vocab.blur_sigma[0], vocab.blur_sigma[1]);
  const jpegQuality = look.int(vocab.jpeg_quality[0], vocab.jpeg_quality[1]);
  const caption = captionFor(rng.fork('caption'), vocab, objects, background.kind);
  return { width, height, background, objects, blurSigma, jpegQuality, caption };
}
