// Pixel-level dirt applied to a rendered scene before encoding.
import { drawText, measureText } from './font';
import type { Rng } from './random';
import type { Vocabulary } from './vocabulary';

/** Multiplies every channel by gain (< 1 darkens) in place. */
export function applyGain(rgb: Buffer, gain: number): void {
  for (let i = 0; i < rgb.length; i++) {
    const v = rgb[i] * gain;
    rgb[i] = v >= 255 ? 255 : Math.round(v);
  }
}

export interface WatermarkInfo {
  text: string;
  /** Bounding box of the drawn text [x, y, w, h] in pixels. */
  box: [number, number, number, number];
  alpha: number;
}

/** Mean luma of the pixels under a box, to pick a text colour that stands out there. */
function meanLuma(rgb: Buffer, width: number, box: [number, number, number, number]): number {
  let sum = 0;
  let n = 0;
  for (let y = box[1]; y < box[1] + box[3]; y++) {
    for (let x = box[0]; x < box[0] + box[2]; x++) {
      const o = (y * width + x) * 3;
      sum += 0.299 * rgb[o] + 0.587 * rgb[o + 1] + 0.114 * rgb[o + 2];
      n++;
    }
  }
  return n > 0 ? sum / n : 128;
}

/**
 * Draws one of the vocabulary's watermark texts large (70-95% of the width) and semi-transparent,
 * white on dark regions and near-black on light ones, with a faint opposite-colour drop shadow so it
 * stays legible over stripes and checkers too.
 */
export function applyWatermark(rng: Rng, vocab: Vocabulary, rgb: Buffer, width: number, height: number): WatermarkInfo {
  const text = rng.pick(vocab.watermark_texts);
  const unit = measureText(text, 1);
  const targetWidth = rng.uniform(0.7, 0.95) * width;
  const scale = Math.max(1, Math.min(Math.floor(targetWidth / unit.width), Math.floor((0.5 * height) / unit.height)));
  const size = measureText(text, scale);
  const x = Math.round(rng.uniform(0, Math.max(0, width - size.width)));
  const y = Math.round(rng.uniform(0, Math.max(0, height - size.height)));
  const alpha = rng.uniform(0.5, 0.7);
  const box: [number, number, number, number] = [x, y, Math.min(size.width, width - x), Math.min(size.height, height - y)];
  const light = meanLuma(rgb, width, box) < 128;
  const color: [number, number, number] = light ? [255, 255, 255] : [20, 20, 20];
  const shadow: [number, number, number] = light ? [0, 0, 0] : [255, 255, 255];
  const offset = Math.max(1, Math.round(scale / 3));
  drawText(rgb, width, height, text, { x: x + offset, y: y + offset, scale, color: shadow, alpha: alpha * 0.5 });
  drawText(rgb, width, height, text, { x, y, scale, color, alpha });
  return { text, box, alpha: Math.round(alpha * 1000) / 1000 };
}
