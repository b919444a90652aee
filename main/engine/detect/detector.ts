// Detectors behind one interface, picked by the model folder's task: a CLIP-style dual encoder with
// patch tokens (the built-in model) → dense patch-similarity detection; OWL-ViT / OWLv2 → box
// head; CLIPSeg → per-query masks. Images come in as encoded bytes or paths plus their size.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import { type CocoRle } from '../formats/rle';
import type { ClipModel } from '../vision/clip-model';
import { type ImageInput, preprocessImage } from '../vision/preprocess';
import { preprocessSpecFromConfig, type PreprocessSpec } from '../vision/preprocess-spec';
import { createSessionWithFallback } from '../vision/providers';
import type { OnnxSession } from '../vision/session';
import { TextTokenizer } from '../vision/tokenize';
import { clipsegPostprocess } from './clipseg';
import { denseRegions, patchProbabilities } from './dense';
import { type Box, nms, roundBox, tensorMapping } from './geometry';
import { owlPostprocess, type OwlVariant } from './owl';

export type DetectorKind = 'dense-clip' | 'owlvit' | 'owlv2' | 'clipseg';

export interface DetectOptions {
  queries: string[];
  threshold: number;
  thresholds?: Record<string, number>;
  segment: boolean;
  nmsIou?: number;
}

export interface Proposal {
  label: string;
  score: number;
  box: Box;
  rle?: CocoRle;
  /** Detector-specific extras stored in the annotation's params. */
  extra?: Record<string, unknown>;
}

/** An image to detect in (the original size is read when it is decoded). */
export interface DetectorImage { input: ImageInput }

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

export const DEFAULT_THRESHOLD: Record<DetectorKind, number> = { 'dense-clip': 0.5, owlvit: 0.1, owlv2: 0.1, clipseg: 0.4 };

/** Dense detection with a dual encoder that exports patch tokens in the text space (the built-in model). */
export class DenseClipDetector implements Detector {
  readonly kind = 'dense-clip' as const;
  private background: Promise<Float32Array | null> | null = null;
  constructor(private readonly model: ClipModel) {
    if (!model.patchGrid) throw new Error('this model exports no patch tokens; dense detection needs them');
  }

  /** The temperature patch-word alignment was trained with (`winnow.region_scale`), else the image-text one. */
  get regionScale(): number {
    return (this.model.folder.config.winnow as { region_scale?: number } | undefined)?.region_scale ?? this.model.logitScale;
  }

  private backgroundEmbedding(): Promise<Float32Array | null> {
    const phrase = (this.model.folder.config.winnow as { background_phrase?: string } | undefined)?.background_phrase;
    this.background ??= phrase ? this.model.embedTexts([phrase]) : Promise.resolve(null);
    return this.background;
  }

  async detect(images: DetectorImage[], o: DetectOptions): Promise<Proposal[][]> {
    if (images.length === 0) return [];
    const model = this.model;
    const grid = model.patchGrid!;
    const length = model.imageTensorLength;
    const pixels = new Float32Array(images.length * length);
    const sizes: { width: number; height: number }[] = [];
    for (let i = 0; i < images.length; i++) {
      const pre = await preprocessImage(images[i].input, model.preprocess);
      pixels.set(pre.data, i * length);
      sizes.push({ width: pre.width, height: pre.height });
    }
    const { patches } = await model.embedImages(pixels, images.length);
    if (!patches) throw new Error('the model returned no patch tokens');
    const texts = await model.embedTexts(o.queries);
    const background = await this.backgroundEmbedding();
    return sizes.map((image, i) => {
      const tokens = patches.tokens;
      const own = patches.data.subarray(i * tokens * patches.dim, (i + 1) * tokens * patches.dim);
      const probs = patchProbabilities(own, tokens, texts, o.queries.length, patches.dim, this.regionScale, background);
      const mapping = tensorMapping(model.preprocess, image.width, image.height);
      const dets: Proposal[] = [];
      o.queries.forEach((label, q) => {
        const map = probs.subarray(q * tokens, (q + 1) * tokens);
        for (const r of denseRegions(map, grid, mapping, image.width, image.height, { threshold: o.thresholds?.[label] ?? o.threshold, segment: o.segment })) {
          dets.push({ label, score: round(r.score), box: roundBox(r.box), rle: r.rle, extra: { mean: round(r.mean), cells: r.cells } });
        }
      });
      return nms(dets, o.nmsIou ?? 0.5).map((k) => dets[k]);
    });
  }
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;

/**
 * An exported OWL-ViT/OWLv2 or CLIPSeg graph (`onnx/model.onnx`): input and output names are read from
 * the session (input_ids / attention_mask / pixel_values; logits + pred_boxes, or logits).
 */
export class OnnxQueryDetector implements Detector {
  private constructor(readonly kind: Exclude<DetectorKind, 'dense-clip'>, private readonly session: OnnxSession, private readonly tokenizer: TextTokenizer, private readonly spec: PreprocessSpec) {}

  static async load(dir: string, kind: Exclude<DetectorKind, 'dense-clip'>): Promise<OnnxQueryDetector> {
    const json = async (f: string) => JSON.parse(await readFile(path.join(dir, f), 'utf8'));
    const spec = preprocessSpecFromConfig(await json('preprocessor_config.json'));
    const tokenizerConfig = await json('tokenizer_config.json').catch(() => ({}));
    const { session } = await createSessionWithFallback(path.join(dir, 'onnx', 'model.onnx'));
    const seq = session.input('input_ids')?.shape[1];
    return new OnnxQueryDetector(kind, session, new TextTokenizer(await json('tokenizer.json'), tokenizerConfig, typeof seq === 'number' && seq > 0 ? seq : 16), spec);
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
      const pre = await preprocessImage(image.input, this.spec);
      const size = { width: pre.width, height: pre.height };
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
