// Region embeddings: a box cropped from its image (with a little context around it) and encoded by the
// image tower, so any detector's proposals (dense, OWL, CLIPSeg) can be compared with reviewed ones in
// one embedding space. Crops smaller than a few pixels are padded out to `minSide` first.
import sharp from '../media/lazy-sharp';
import type { Box } from '../../domain/rle';
import type { ClipModel } from '../vision/clip-model';
import { preprocessImage } from '../vision/preprocess';

export interface RegionCropOptions {
  /** Context added on each side, as a share of the box's side (default 0.1). */
  context?: number;
  /** Smallest crop side in pixels (default 8). */
  minSide?: number;
}

/** The crop rectangle of a box inside a width × height image (integer pixels, clamped, never empty). */
export function cropRect(box: Box, width: number, height: number, o: RegionCropOptions = {}): { left: number; top: number; width: number; height: number } {
  const [x, y, w, h] = box;
  const pad = o.context ?? 0.1;
  const min = Math.min(o.minSide ?? 8, width, height);
  const cw = Math.max(min, w * (1 + 2 * pad)), ch = Math.max(min, h * (1 + 2 * pad));
  const cx = x + w / 2, cy = y + h / 2;
  const left = Math.max(0, Math.min(width - cw, cx - cw / 2)), top = Math.max(0, Math.min(height - ch, cy - ch / 2));
  const l = Math.floor(left), t = Math.floor(top);
  return { left: l, top: t, width: Math.max(1, Math.min(width - l, Math.ceil(left + cw) - l)), height: Math.max(1, Math.min(height - t, Math.ceil(top + ch) - t)) };
}

/** L2-normalized image-tower embeddings of `boxes` cropped from one image: [boxes.length × dim]. */
export async function embedRegions(model: ClipModel, image: Uint8Array, boxes: readonly Box[], o: RegionCropOptions = {}): Promise<Float32Array> {
  if (boxes.length === 0) return new Float32Array(0);
  const decoded = sharp(image).rotate();
  const { data, info } = await decoded.raw().toBuffer({ resolveWithObject: true });
  const length = model.imageTensorLength;
  const pixels = new Float32Array(boxes.length * length);
  for (let i = 0; i < boxes.length; i++) {
    const rect = cropRect(boxes[i], info.width, info.height, o);
    const crop = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract(rect).png().toBuffer();
    pixels.set((await preprocessImage(crop, model.preprocess)).data, i * length);
  }
  const out = new Float32Array(boxes.length * model.dim);
  // Batches of 64 crops keep the tensor small whatever the number of proposals.
  for (let start = 0; start < boxes.length; start += 64) {
    const count = Math.min(64, boxes.length - start);
    const { embeddings } = await model.embedImages(pixels.subarray(start * length, (start + count) * length), count);
    out.set(embeddings, start * model.dim);
  }
  return out;
}
