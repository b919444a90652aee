// Segment Anything (SAM, SlimSAM) exported the Transformers.js way: `onnx/vision_encoder.onnx`
// (pixel_values → image_embeddings, image_positional_embeddings) and `onnx/prompt_encoder_mask_decoder.onnx`
// (input_points, input_labels, embeddings → iou_scores, pred_masks at 256×256), preprocessed as
// SamImageProcessor does: longest side resized to 1024, rescaled, normalized, zero-padded bottom/right.
// A point or a box prompt gives the mask with the best predicted IoU, in original image pixels.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tensor } from 'onnxruntime-node';
import sharp from '../media/lazy-sharp';
import { type CocoRle, encodeRle, maskBbox } from '../../domain/rle';
import { type ModelDtype, resolveOnnxGraph } from '../vision/model-folder';
import { pilResizeRgb } from '../vision/pil-resample';
import { createSessionWithFallback } from '../vision/providers';
import type { OnnxSession } from '../vision/session';
import type { Box } from './geometry';

export interface SamPoint { x: number; y: number; /** 1 foreground, 0 background. */ label: 0 | 1 }

export interface SamGeometry {
  width: number;
  height: number;
  /** Size of the image inside the padded square, as SamImageProcessor rounds it. */
  resizedWidth: number;
  resizedHeight: number;
  /** Side of the padded square (1024 for SAM). */
  side: number;
}

export interface SamEmbedding { geometry: SamGeometry; feeds: Record<string, Tensor> }

export interface SamMask { rle: CocoRle; box: Box | null; score: number; area: number }

interface SamPreprocessor { longest: number; mean: number[]; std: number[]; rescale: number; padSide: number }

/** SamImageProcessor's resize: the longest side becomes `longest`, each side rounded half up. */
export function samGeometry(width: number, height: number, longest: number, padSide = longest): SamGeometry {
  const scale = longest / Math.max(width, height);
  return { width, height, resizedWidth: Math.floor(width * scale + 0.5), resizedHeight: Math.floor(height * scale + 0.5), side: padSide };
}

/** Original-pixel points → the resized frame the prompt encoder expects (x and y scale separately, as HF does). */
export function samPointCoords(points: readonly SamPoint[], g: SamGeometry): Float32Array {
  const out = new Float32Array(points.length * 2);
  points.forEach((p, i) => {
    out[2 * i] = p.x * (g.resizedWidth / g.width);
    out[2 * i + 1] = p.y * (g.resizedHeight / g.height);
  });
  return out;
}

/**
 * Low-res mask logits (lowH × lowW over the padded square) → a binary mask of the original image.
 * HF upsamples to the padded square, crops the resized part, then resizes to the original size; this
 * samples the low-res map once at the composed coordinates (both resizes are bilinear, half-pixel centred).
 * `clip`, when given, keeps only pixels inside that box.
 */
export function samMaskFromLogits(logits: Float32Array, offset: number, lowH: number, lowW: number, g: SamGeometry, clip?: Box): Uint8Array {
  const { width: W, height: H } = g;
  const mask = new Uint8Array(W * H);
  const sx = g.resizedWidth / W;
  const sy = g.resizedHeight / H;
  const lx = lowW / g.side;
  const ly = lowH / g.side;
  const [cx0, cy0, cx1, cy1] = clip ? [clip[0], clip[1], clip[0] + clip[2], clip[1] + clip[3]] : [0, 0, W, H];
  for (let y = Math.max(0, Math.floor(cy0)); y < Math.min(H, Math.ceil(cy1)); y++) {
    const fy = Math.min(lowH - 1, Math.max(0, ((y + 0.5) * sy) * ly - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(lowH - 1, y0 + 1);
    const ay = fy - y0;
    for (let x = Math.max(0, Math.floor(cx0)); x < Math.min(W, Math.ceil(cx1)); x++) {
      const fx = Math.min(lowW - 1, Math.max(0, ((x + 0.5) * sx) * lx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(lowW - 1, x0 + 1);
      const ax = fx - x0;
      const at = (yy: number, xx: number) => logits[offset + yy * lowW + xx];
      const v = (at(y0, x0) * (1 - ax) + at(y0, x1) * ax) * (1 - ay) + (at(y1, x0) * (1 - ax) + at(y1, x1) * ax) * ay;
      if (v > 0) mask[y * W + x] = 1;
    }
  }
  return mask;
}

export class SamSegmenter {
  private constructor(readonly dir: string, private readonly encoder: OnnxSession, private readonly decoder: OnnxSession, private readonly pre: SamPreprocessor) {}

  static async load(dir: string, dtype?: ModelDtype): Promise<SamSegmenter> {
    const config = JSON.parse(await readFile(path.join(dir, 'preprocessor_config.json'), 'utf8')) as {
      size?: { longest_edge?: number }; image_mean?: number[]; image_std?: number[]; rescale_factor?: number; pad_size?: { height?: number; width?: number };
    };
    const longest = config.size?.longest_edge ?? 1024;
    const pre: SamPreprocessor = {
      longest, mean: config.image_mean ?? [0.485, 0.456, 0.406], std: config.image_std ?? [0.229, 0.224, 0.225],
      rescale: config.rescale_factor ?? 1 / 255, padSide: config.pad_size?.height ?? longest,
    };
    // The decoder follows the encoder's precision, so one dtype choice means one precision.
    const encoderGraph = await resolveOnnxGraph(dir, 'vision_encoder', dtype);
    const decoderGraph = await resolveOnnxGraph(dir, 'prompt_encoder_mask_decoder', encoderGraph.dtype);
    const [{ session: encoder }, { session: decoder }] = await Promise.all([createSessionWithFallback(encoderGraph.path), createSessionWithFallback(decoderGraph.path)]);
    return new SamSegmenter(dir, encoder, decoder, pre);
  }

  /** Runs the image encoder once; the result serves any number of prompts on that image. */
  async embed(bytes: Uint8Array): Promise<SamEmbedding> {
    // SamImageProcessor resizes with PIL's BILINEAR (resample 2): resampled the way Pillow does (pil-resample.ts).
    const decoded = await sharp(bytes).autoOrient().toColourspace('srgb').removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const { width, height } = decoded.info;
    if (!width || !height || decoded.info.channels !== 3) throw new Error('cannot read the image size');
    const { longest, mean, std, rescale, padSide } = this.pre;
    const g = samGeometry(width, height, longest, padSide);
    const resized = pilResizeRgb(decoded.data, width, height, g.resizedWidth, g.resizedHeight, 'bilinear');
    const S = padSide;
    const data = new Float32Array(3 * S * S); // zero padding after normalization, as HF pads
    for (let y = 0; y < g.resizedHeight; y++) {
      for (let x = 0; x < g.resizedWidth; x++) {
        const src = (y * g.resizedWidth + x) * 3;
        for (let c = 0; c < 3; c++) data[c * S * S + y * S + x] = (resized[src + c] * rescale - mean[c]) / std[c];
      }
    }
    const out = await this.encoder.run({ [this.encoder.inputs[0].name]: new Tensor('float32', data, [1, 3, S, S]) });
    const feeds: Record<string, Tensor> = {};
    for (const o of this.encoder.outputs) if (this.decoder.input(o.name)) feeds[o.name] = out[o.name];
    if (!feeds.image_embeddings) throw new Error('the SAM encoder gives no image_embeddings the decoder takes');
    return { geometry: g, feeds };
  }

  /**
   * The best mask for points and/or a box (original pixels). A box is given to the decoder as `input_boxes`
   * when the export takes it, otherwise as its centre point; either way the mask is kept inside the box
   * grown by 10%, so a loose prompt cannot spill over the whole image.
   */
  async segment(embedding: SamEmbedding, prompt: { points?: SamPoint[]; box?: Box }): Promise<SamMask> {
    const g = embedding.geometry;
    const points = [...(prompt.points ?? [])];
    const box = prompt.box;
    const takesBoxes = Boolean(this.decoder.input('input_boxes'));
    if (box && !takesBoxes) points.unshift({ x: box[0] + box[2] / 2, y: box[1] + box[3] / 2, label: 1 });
    if (points.length === 0 && !box) throw new Error('a SAM prompt needs a point or a box');
    const feeds: Record<string, Tensor> = { ...embedding.feeds };
    if (points.length) {
      feeds.input_points = new Tensor('float32', samPointCoords(points, g), [1, 1, points.length, 2]);
      feeds.input_labels = new Tensor('int64', BigInt64Array.from(points, (p) => BigInt(p.label)), [1, 1, points.length]);
    }
    if (box && takesBoxes) {
      const [x0, y0] = samPointCoords([{ x: box[0], y: box[1], label: 1 }], g);
      const [x1, y1] = samPointCoords([{ x: box[0] + box[2], y: box[1] + box[3], label: 1 }], g);
      feeds.input_boxes = new Tensor('float32', Float32Array.of(x0, y0, x1, y1), [1, 1, 4]);
    }
    const out = await this.decoder.run(feeds);
    const scores = out.iou_scores.data as Float32Array;
    const masks = out.pred_masks;
    const [lowH, lowW] = masks.dims.slice(-2) as number[];
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
    const grow = box ? [box[2] * 0.1, box[3] * 0.1] : [0, 0];
    const clip: Box | undefined = box ? [box[0] - grow[0], box[1] - grow[1], box[2] + 2 * grow[0], box[3] + 2 * grow[1]] : undefined;
    const mask = samMaskFromLogits(masks.data as Float32Array, best * lowH * lowW, lowH, lowW, g, clip);
    let area = 0;
    for (let i = 0; i < mask.length; i++) area += mask[i];
    return { rle: encodeRle(mask, g.height, g.width), box: maskBbox(mask, g.height, g.width), score: scores[best], area };
  }

  async dispose(): Promise<void> {
    await Promise.all([this.encoder.dispose(), this.decoder.dispose()]);
  }
}
