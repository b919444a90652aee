// Detectors behind one interface, picked by the model folder's task: a CLIP-style dual encoder with
// patch tokens (the built-in model) → dense patch-similarity detection; OWL-ViT / OWLv2 → box
// head; CLIPSeg → per-query masks. Images come in as encoded bytes or paths plus their size.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { type CocoRle } from '../../domain/rle';
import type { ClipModel } from '../vision/clip-model';
import type { CachedInput } from '../vision/input-cache';
import { type ImageInput, type PreprocessInput, preprocessFromCache, preprocessImage } from '../vision/preprocess';
import { preprocessSpecFromConfig, type PreprocessSpec } from '../vision/preprocess-spec';
import { type ModelDtype, resolveOnnxGraph } from '../vision/model-folder';
import { createSessionWithFallback } from '../vision/providers';
import type { OnnxSession } from '../vision/session';
import { TextTokenizer } from '../vision/tokenize';
import { clipsegPostprocess } from './clipseg';
import { denseRegions, patchProbabilities } from './dense';
import { type Box, nms, roundBox, tensorMapping } from './geometry';
import { owlPostprocess, type OwlVariant } from './owl';
import { mosaicFor, type Tile, tileImages, tilesFor } from './tiles';
import sharp from '../media/lazy-sharp';

export type DetectorKind = 'dense-clip' | 'owlvit' | 'owlv2' | 'clipseg';

export interface DetectOptions {
  queries: string[];
  threshold: number;
  thresholds?: Record<string, number>;
  segment: boolean;
  nmsIou?: number;
  /** Dense detection: mask pixels need this probability (default threshold + 0.15: masks hug the object; boxes use the threshold). */
  maskThreshold?: number;
  /** Dense detection: let the model's other known phrases compete with the queries (default true). */
  negatives?: boolean;
  /** Dense detection on non-square images: embed overlapping square tiles instead of one center crop (default true). */
  tile?: boolean;
}

export interface Proposal {
  label: string;
  score: number;
  box: Box;
  rle?: CocoRle;
  /** Detector-specific extras stored in the annotation's params. */
  extra?: Record<string, unknown>;
}

/**
 * An image to detect in (the original size is read when it is decoded). `cache`: the item's model-input cache
 * entry for a preprocessing (input-cache.ts), when the caller has one: an exact entry stands in for decoding.
 */
export interface DetectorImage { input: ImageInput; cache?: (spec: PreprocessSpec) => CachedInput | null }

export interface Detector {
  readonly kind: DetectorKind;
  /** One proposal list per image. */
  detect(images: DetectorImage[], options: DetectOptions): Promise<Proposal[][]>;
  dispose?(): Promise<void>;
}

/** The task a model folder's config.json declares. */
export function detectorKindOf(config: { model_type?: string; winnow?: unknown }, hasPatches: boolean): DetectorKind | null {
  const type = (config.model_type ?? '').toLowerCase();
  if (type === 'owlvit') return 'owlvit';
  if (type === 'owlv2') return 'owlv2';
  if (type === 'clipseg') return 'clipseg';
  return hasPatches ? 'dense-clip' : null;
}

/** Dense masks: how far above the detection threshold a pixel must be (measured best on generated scenes: +0.1…0.2). */
export const MASK_MARGIN = 0.15;

/**
 * Dense: patch probability (softmax over the queries, the background phrase and the negatives). The built-in
 * model is trained with soft targets (a patch's share of each object), so thin shapes rarely pass 0.5 on any
 * patch; measured on 100 generated scenes (test/integration/detect/detect-eval.test.ts), threshold 0.2 with
 * masks at 0.35 gives mAP@0.5 0.877 / mask IoU 0.703 with look-alike rejection, vs 0.697 / 0.499 at 0.5 / 0.65.
 */
export const DEFAULT_THRESHOLD: Record<DetectorKind, number> = { 'dense-clip': 0.2, owlvit: 0.1, owlv2: 0.1, clipseg: 0.4 };

/** Dense detection with a dual encoder that exports patch tokens in the text space (the built-in model). */
export class DenseClipDetector implements Detector {
  readonly kind = 'dense-clip' as const;
  private readonly textCache = new Map<string, Float32Array>();
  constructor(private readonly model: ClipModel) {
    if (!model.patchGrid) throw new Error('this model exports no patch tokens; dense detection needs them');
  }

  /** The temperature patch-word alignment was trained with (`winnow.region_scale`), else the image-text one. */
  get regionScale(): number {
    return (this.model.folder.config.winnow as { region_scale?: number } | undefined)?.region_scale ?? this.model.logitScale;
  }

  /**
   * The background phrase (competes with the queries in each patch's softmax) and, unless `negatives`
   * is false, the phrases the model knows (`winnow.classes`) that are not queries: they veto a query on
   * patches they match better, so an object that is none of the queries is not claimed by the nearest one.
   */
  private async others(queries: string[], negatives: boolean): Promise<{ background: Float32Array | null; negatives: Float32Array | null }> {
    const extras = this.model.folder.config.winnow as { background_phrase?: string; classes?: string[] } | undefined;
    const asked = new Set(queries.map((q) => q.trim().toLowerCase()));
    const negs = negatives ? (extras?.classes ?? []).filter((c) => !asked.has(c.toLowerCase())) : [];
    const bg = extras?.background_phrase ? [extras.background_phrase] : [];
    return { background: bg.length ? await this.embedCached(bg) : null, negatives: negs.length && bg.length ? await this.embedCached(negs) : null };
  }

  private async embedCached(phrases: string[]): Promise<Float32Array> {
    const dim = this.model.dim;
    const missing = phrases.filter((p) => !this.textCache.has(p));
    if (missing.length) {
      const rows = await this.model.embedTexts(missing);
      missing.forEach((p, i) => this.textCache.set(p, rows.slice(i * dim, (i + 1) * dim)));
    }
    const out = new Float32Array(phrases.length * dim);
    phrases.forEach((p, i) => out.set(this.textCache.get(p)!, i * dim));
    return out;
  }

  async detect(images: DetectorImage[], o: DetectOptions): Promise<Proposal[][]> {
    if (images.length === 0) return [];
    const model = this.model;
    const grid = model.patchGrid!;
    const length = model.imageTensorLength;
    // One tensor per image (its center crop), or one per tile for long images.
    const plans: { width: number; height: number; tiles: Tile[] | null; first: number }[] = [];
    const inputs: (PreprocessInput | Float32Array)[] = [];
    for (const image of images) {
      // Only an entry made from the original: its tensor is full decoding's, bit for bit (input-cache.ts).
      const cache = image.cache?.(model.preprocess);
      const entry = cache ? { ...cache, requireExact: true } : null;
      const cached = entry ? preprocessFromCache(entry, model.preprocess) : null;
      const read = async () => (typeof image.input === 'string' ? readFile(image.input) : image.input);
      const bytes = cached ? null : await read();
      const meta = bytes ? await sharp(bytes).metadata() : null;
      const width = cached?.width ?? meta?.autoOrient?.width ?? meta?.width;
      const height = cached?.height ?? meta?.autoOrient?.height ?? meta?.height;
      if (!width || !height) throw new Error('image has no dimensions');
      const tiles = o.tile === false ? null : tilesFor(width, height);
      plans.push({ width, height, tiles, first: inputs.length });
      // One center crop is the embed input; tiles are crops of the original, decoded from it (no entry holds them).
      if (tiles) inputs.push(...(await tileImages(bytes ?? (await read()), tiles)));
      else inputs.push(cached?.data ?? (entry ? { ...entry, source: bytes! } : bytes!));
    }
    const pixels = new Float32Array(inputs.length * length);
    for (let i = 0; i < inputs.length; i++) {
      const input = inputs[i];
      pixels.set(input instanceof Float32Array ? input : (await preprocessImage(input, model.preprocess)).data, i * length);
    }
    const { patches } = await model.embedImages(pixels, inputs.length);
    if (!patches) throw new Error('the model returned no patch tokens');
    const texts = await model.embedTexts(o.queries);
    const { background, negatives } = await this.others(o.queries, o.negatives !== false);
    const tokens = patches.tokens;
    const probsOf = (row: number) => patchProbabilities(patches.data.subarray(row * tokens * patches.dim, (row + 1) * tokens * patches.dim), tokens, texts, o.queries.length, patches.dim, this.regionScale, background, negatives);
    return plans.map((plan) => {
      const { width, height, tiles } = plan;
      const mosaic = tiles ? mosaicFor(width, height, tiles, grid[0], grid[1]) : null;
      const probs = tiles ? tiles.map((_, t) => probsOf(plan.first + t)) : [probsOf(plan.first)];
      const mapping = mosaic?.mapping ?? tensorMapping(model.preprocess, width, height);
      const dets: Proposal[] = [];
      o.queries.forEach((label, q) => {
        const maps = probs.map((p) => p.subarray(q * tokens, (q + 1) * tokens));
        const map = mosaic ? mosaic.combine(maps) : maps[0];
        const t = o.thresholds?.[label] ?? o.threshold;
        for (const r of denseRegions(map, mosaic?.grid ?? grid, mapping, width, height, { threshold: t, maskThreshold: o.maskThreshold ?? Math.min(0.95, t + MASK_MARGIN), segment: o.segment })) {
          dets.push({ label, score: round(r.score), box: roundBox(r.box), rle: r.rle, extra: { mean: round(r.mean), cells: r.cells, ...(tiles && { tiles: tiles.length }) } });
        }
      });
      return nms(dets, o.nmsIou ?? 0.5).map((k) => dets[k]);
    });
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

async function imageSize(input: ImageInput): Promise<{ width: number; height: number }> {
  const meta = await sharp(typeof input === 'string' ? await readFile(input) : input).metadata();
  return { width: meta.autoOrient?.width ?? meta.width ?? 0, height: meta.autoOrient?.height ?? meta.height ?? 0 };
}

/**
 * An exported OWL-ViT/OWLv2 or CLIPSeg graph (`onnx/model.onnx`): input and output names are read from
 * the session (input_ids / attention_mask / pixel_values; logits + pred_boxes, or logits).
 */
export class OnnxQueryDetector implements Detector {
  private constructor(
    readonly kind: Exclude<DetectorKind, 'dense-clip'>,
    private readonly session: OnnxSession,
    private readonly tokenizer: TextTokenizer,
    private readonly spec: PreprocessSpec,
    /** The graph that runs, relative to the model folder (e.g. onnx/model_quantized.onnx), and its dtype. */
    readonly graph: { file: string; dtype: ModelDtype },
  ) {}

  /** Loads `onnx/model<suffix>.onnx` of `dtype`, else the one installed (fp32 first, then the smaller variants). */
  static async load(dir: string, kind: Exclude<DetectorKind, 'dense-clip'>, dtype?: ModelDtype): Promise<OnnxQueryDetector> {
    const json = async (f: string) => JSON.parse(await readFile(path.join(dir, f), 'utf8'));
    const spec = preprocessSpecFromConfig(await json('preprocessor_config.json'));
    const tokenizerConfig = await json('tokenizer_config.json').catch(() => ({}));
    const graph = await resolveOnnxGraph(dir, 'model', dtype);
    const { session } = await createSessionWithFallback(graph.path);
    const seq = session.input('input_ids')?.shape[1];
    // Without a fixed sequence axis, the tokenizer's model_max_length (OWL-ViT 16, CLIPSeg 77) pads the queries.
    const tokenizer = new TextTokenizer(await json('tokenizer.json'), tokenizerConfig, typeof seq === 'number' && seq > 0 ? seq : undefined);
    return new OnnxQueryDetector(kind, session, tokenizer, spec, { file: path.relative(dir, graph.path).split(path.sep).join('/'), dtype: graph.dtype });
  }

  private name(candidates: string[], list: { name: string }[]): string {
    const found = candidates.find((c) => list.some((x) => x.name === c)) ?? list[0]?.name;
    if (!found) throw new Error(`the graph has none of ${candidates.join(', ')}`);
    return found;
  }

  async detect(images: DetectorImage[], o: DetectOptions): Promise<Proposal[][]> {
    const ids = this.tokenizer.encodeBatch(o.queries);
    const out: Proposal[][] = [];
    for (const image of images) {
      let input = image.input;
      if (this.kind === 'owlv2') {
        // OWLv2 pads the image to a square at the bottom/right (grey, 0.5 after rescaling) before resizing; its boxes are relative to that square.
        const bytes = typeof input === 'string' ? await readFile(input) : input;
        const meta = await sharp(bytes).metadata();
        const w = meta.autoOrient?.width ?? meta.width ?? 0;
        const h = meta.autoOrient?.height ?? meta.height ?? 0;
        const side = Math.max(w, h);
        input = await sharp(bytes).autoOrient().extend({ right: side - w, bottom: side - h, background: { r: 128, g: 128, b: 128 } }).png().toBuffer();
      }
      const pre = await preprocessImage(input, this.spec);
      const size = this.kind === 'owlv2' ? await imageSize(image.input) : { width: pre.width, height: pre.height };
      const feeds: Record<string, Tensor> = {
        [this.name(['pixel_values'], this.session.inputs)]: new Tensor('float32', pre.data, [1, 3, this.spec.height, this.spec.width]),
        [this.name(['input_ids'], this.session.inputs)]: new Tensor('int64', ids.inputIds, [ids.count, ids.sequenceLength]),
      };
      if (this.session.input('attention_mask')) feeds.attention_mask = new Tensor('int64', ids.attentionMask, [ids.count, ids.sequenceLength]);
      const result = await this.session.run(feeds);
      const logits = result[this.name(['logits'], this.session.outputs)];
      if (this.kind === 'clipseg') {
        const [h, w] = logits.dims.slice(-2) as number[];
        out.push(clipsegPostprocess(logits.data as Float32Array, o.queries, h, w, size.width, size.height, o.threshold, o.thresholds)
          .map((s) => ({ label: s.label, score: round(s.score), box: s.box, rle: o.segment ? s.rle : undefined, extra: { area: s.area } })));
      } else {
        const boxes = result[this.name(['pred_boxes'], this.session.outputs)];
        const numBoxes = boxes.dims[1] as number;
        out.push(owlPostprocess({ logits: logits.data as Float32Array, boxes: boxes.data as Float32Array, numBoxes, numQueries: o.queries.length }, this.kind as OwlVariant, { queries: o.queries, width: size.width, height: size.height, threshold: o.threshold, thresholds: o.thresholds, nmsIou: o.nmsIou })
          .map((d) => ({ label: d.label, score: round(d.score), box: d.box })));
      }
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.dispose();
  }
}
