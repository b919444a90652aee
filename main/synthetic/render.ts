import { renderBackground } from './background';
import { Rng } from './random';
import { MASK_THRESHOLD, polygonBounds, rasterizeCoverage } from './raster';
import { encodeRle, type Box, type CocoRle } from '../domain/rle';
import type { SceneSpec } from './scene';
import type { Rgb } from './vocabulary';

export interface ObjectTruth {
  color: string;
  shape: string;
  size: string;
  heldOut: boolean;
  rgb: Rgb;
  /**
   * Tight integer box [x, y, w, h] of the object's own thresholded mask before occlusion (COCO
   * style, so it always encloses the mask); sharp tips below half coverage fall outside it.
   */
  box: Box;
  /** Visible pixels (coverage >= 0.5, minus pixels of objects drawn later), row-major H x W, 0/1. */
  mask: Uint8Array;
  rle: CocoRle;
  area: number;
  /** True when a later object hides some of this one's pixels, so mask and box may disagree. */
  occluded: boolean;
}

export interface RenderedScene {
  spec: SceneSpec;
  width: number;
  height: number;
  /** Unblurred, unencoded RGB, row-major, 3 bytes per pixel. */
  rgb: Buffer;
  objects: ObjectTruth[];
}

/** Draws the scene (objects in order, later ones on top) and derives masks from the same coverage. */
export function renderScene(spec: SceneSpec): RenderedScene {
  const { width, height } = spec;
  const rgb = renderBackground(spec.background, width, height, (seed) => new Rng(seed));
  const masks: Uint8Array[] = [];
  const occluded: boolean[] = [];
  const boxes: Box[] = [];
  for (const obj of spec.objects) {
    const coverage = rasterizeCoverage(obj.polygon, width, height);
    // Only the polygon's pixel rectangle can be covered; skipping the rest keeps big images cheap.
    const bounds = polygonBounds(obj.polygon);
    const x0 = Math.max(0, Math.floor(bounds.minX));
    const x1 = Math.min(width - 1, Math.ceil(bounds.maxX));
    const y0 = Math.max(0, Math.floor(bounds.minY));
    const y1 = Math.min(height - 1, Math.ceil(bounds.maxY));
    const [r, g, b] = obj.rgb;
    const mask = new Uint8Array(width * height);
    let mx0 = width;
    let my0 = height;
    let mx1 = -1;
    let my1 = -1;
    for (let y = y0; y <= y1; y++) {
      for (let i = y * width + x0, end = y * width + x1; i <= end; i++) {
        const c = coverage[i];
        if (c === 0) continue;
        const o = i * 3;
        rgb[o] = Math.round(rgb[o] * (1 - c) + r * c);
        rgb[o + 1] = Math.round(rgb[o + 1] * (1 - c) + g * c);
        rgb[o + 2] = Math.round(rgb[o + 2] * (1 - c) + b * c);
        if (c < MASK_THRESHOLD) continue;
        mask[i] = 1;
        const x = i - y * width;
        if (x < mx0) mx0 = x;
        if (x > mx1) mx1 = x;
        if (y < my0) my0 = y;
        my1 = y;
        for (let k = 0; k < masks.length; k++) {
          if (masks[k][i]) {
            masks[k][i] = 0;
            occluded[k] = true;
          }
        }
      }
    }
    masks.push(mask);
    occluded.push(false);
    // A shape too thin to cover half of any pixel keeps its polygon box rather than an empty one.
    boxes.push(mx1 < 0 ? obj.box : [mx0, my0, mx1 - mx0 + 1, my1 - my0 + 1]);
  }
  const objects = spec.objects.map((obj, k): ObjectTruth => {
    const rle = encodeRle(masks[k], height, width);
    let area = 0;
    for (let i = 1; i < rle.counts.length; i += 2) area += rle.counts[i];
    return { color: obj.color, shape: obj.shape, size: obj.size, heldOut: obj.heldOut, rgb: obj.rgb, box: boxes[k], mask: masks[k], rle, area, occluded: occluded[k] };
  });
  return { spec, width, height, rgb, objects };
}
