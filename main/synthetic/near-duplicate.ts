// Near-duplicates of an encoded image, with ground truth carried through the same geometry.
import sharp from 'sharp';
import type { Rng } from './random';
import { encodeRle, type Box, type CocoRle } from '../domain/rle';
import type { NearDuplicateVariant } from './vocabulary';

export interface TruthLike {
  box: Box;
  mask: Uint8Array;
}

export interface NearDuplicate<T extends TruthLike> {
  bytes: Buffer;
  width: number;
  height: number;
  /** Objects still visible, with box, mask and rle mapped into the new image. */
  objects: Array<T & { rle: CocoRle; area: number }>;
  /** What was done, e.g. { quality: 62 } or { crop: [x, y, w, h] }. */
  params: Record<string, unknown>;
}

const round2 = (v: number): number => Math.round(v * 100) / 100;

function withRle<T extends TruthLike>(obj: T, mask: Uint8Array, box: Box, height: number, width: number): T & { rle: CocoRle; area: number } {
  const rle = encodeRle(mask, height, width);
  let area = 0;
  for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i];
  return { ...obj, box, mask, rle, area };
}

/** Nearest-neighbour resample of a mask, sampling at pixel centres like the image resize. */
function resizeMask(mask: Uint8Array, w: number, h: number, nw: number, nh: number): Uint8Array {
  const out = new Uint8Array(nw * nh);
  for (let y = 0; y < nh; y++) {
    const sy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / nh));
    for (let x = 0; x < nw; x++) out[y * nw + x] = mask[sy * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / nw))];
  }
  return out;
}

function cropMask(mask: Uint8Array, w: number, left: number, top: number, cw: number, ch: number): Uint8Array {
  const out = new Uint8Array(cw * ch);
  for (let y = 0; y < ch; y++) out.set(mask.subarray((y + top) * w + left, (y + top) * w + left + cw), y * cw);
  return out;
}

/** Any JPEG quality in [40, 95] at least 10 away from the original's. */
function otherQuality(rng: Rng, original: number): number {
  const choices: number[] = [];
  for (let q = 40; q <= 95; q++) if (Math.abs(q - original) >= 10) choices.push(q);
  return rng.pick(choices);
}

export async function makeNearDuplicate<T extends TruthLike>(
  rng: Rng,
  variant: NearDuplicateVariant,
  original: { bytes: Buffer; width: number; height: number; quality: number; objects: T[] },
): Promise<NearDuplicate<T>> {
  const { width: w, height: h } = original;
  const quality = otherQuality(rng, original.quality);
  const same = (): Array<T & { rle: CocoRle; area: number }> => original.objects.map((o) => withRle(o, o.mask, o.box, h, w));
  switch (variant) {
    case 'reencode': {
      const bytes = await sharp(original.bytes).jpeg({ quality }).toBuffer();
      return { bytes, width: w, height: h, objects: same(), params: { quality } };
    }
    case 'brighten': {
      const gain = round2(rng.uniform(1.12, 1.35));
      const bytes = await sharp(original.bytes).linear(gain, 0).jpeg({ quality }).toBuffer();
      return { bytes, width: w, height: h, objects: same(), params: { gain, quality } };
    }
    case 'resize': {
      const factor = rng.bool() ? rng.uniform(0.7, 0.9) : rng.uniform(1.1, 1.3);
      const nw = Math.max(1, Math.round(w * factor));
      const nh = Math.max(1, Math.round(h * factor));
      const bytes = await sharp(original.bytes).resize(nw, nh, { fit: 'fill' }).jpeg({ quality }).toBuffer();
      const sx = nw / w;
      const sy = nh / h;
      const objects = original.objects.map((o) => {
        const box: Box = [round2(o.box[0] * sx), round2(o.box[1] * sy), round2(o.box[2] * sx), round2(o.box[3] * sy)];
        return withRle(o, resizeMask(o.mask, w, h, nw, nh), box, nh, nw);
      });
      return { bytes, width: nw, height: nh, objects, params: { width: nw, height: nh, quality } };
    }
    case 'crop': {
      // Remove 5-15% of each dimension, split at random between the two sides.
      const cutX = Math.round(w * rng.uniform(0.05, 0.15));
      const cutY = Math.round(h * rng.uniform(0.05, 0.15));
      const left = rng.int(0, cutX);
      const top = rng.int(0, cutY);
      const cw = w - cutX;
      const ch = h - cutY;
      const bytes = await sharp(original.bytes).extract({ left, top, width: cw, height: ch }).jpeg({ quality }).toBuffer();
      const objects: Array<T & { rle: CocoRle; area: number }> = [];
      for (const o of original.objects) {
        const x0 = Math.max(0, o.box[0] - left);
        const y0 = Math.max(0, o.box[1] - top);
        const x1 = Math.min(cw, o.box[0] + o.box[2] - left);
        const y1 = Math.min(ch, o.box[1] + o.box[3] - top);
        const mask = cropMask(o.mask, w, left, top, cw, ch);
        const moved = withRle(o, mask, [round2(x0), round2(y0), round2(x1 - x0), round2(y1 - y0)], ch, cw);
        if (x1 > x0 && y1 > y0 && moved.area > 0) objects.push(moved);
      }
      return { bytes, width: cw, height: ch, objects, params: { crop: [left, top, cw, ch], quality } };
    }
  }
}
