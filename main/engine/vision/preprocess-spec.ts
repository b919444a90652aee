import type { PreprocessorConfig } from './model-config';

import type { PilFilter } from './pil-resample';

export type SharpKernel = 'nearest' | 'linear' | 'cubic' | 'lanczos3';
/** sharp's kernels, or a PIL filter that Winnow resamples itself to match Python exactly. */
export type ResampleKernel = SharpKernel | PilFilter;

export const isPilFilter = (kernel: ResampleKernel): kernel is PilFilter => kernel === 'bilinear' || kernel === 'box';

/**
 * Everything needed to turn an image into a model input, resolved from preprocessor_config.json
 * into plain numbers so it can be sent to worker threads as-is.
 */
export interface PreprocessSpec {
  /** 'shortest-edge': scale so the short side equals `shortestEdge` (CLIP); 'exact': stretch to width×height (SigLIP). */
  resize: { mode: 'shortest-edge'; shortestEdge: number } | { mode: 'exact'; width: number; height: number } | { mode: 'none' };
  /** Center crop after resizing; absent when the config disables it. */
  crop?: { width: number; height: number };
  /**
   * OWLv2: the image is first padded at the bottom and right to a square of its longer side with `value`
   * (in rescaled units, before normalization), then resized to the output size, as Owlv2ImageProcessor does.
   */
  padToSquare?: { value: number };
  kernel: ResampleKernel;
  rescale: number;
  mean: [number, number, number];
  std: [number, number, number];
  /** Output tensor size (C is always 3). */
  height: number;
  width: number;
}

// PIL resample codes used by Hugging Face image processors. BILINEAR (2) and BOX (4) are resampled the way
// PIL does (support widened on downscale); the others go through sharp, which lands close to PIL for them.
const KERNEL_BY_PIL_CODE: Record<number, ResampleKernel> = { 0: 'nearest', 1: 'lanczos3', 2: 'bilinear', 3: 'cubic', 4: 'box', 5: 'cubic' };

type SizeField = PreprocessorConfig['size'];

function asTriple(value: number[] | number | undefined, fallback: [number, number, number]): [number, number, number] {
  if (value === undefined) return fallback;
  if (typeof value === 'number') return [value, value, value];
  return [value[0], value[1], value[2]];
}

function cropSize(size: SizeField): { width: number; height: number } | undefined {
  if (size === undefined) return undefined;
  if (typeof size === 'number') return { width: size, height: size };
  if ('height' in size && 'width' in size) return { width: size.width as number, height: size.height as number };
  if ('shortest_edge' in size) return { width: size.shortest_edge as number, height: size.shortest_edge as number };
  return undefined;
}

/** Owlv2ImageProcessor pads with grey 0.5 (after rescaling) before resizing. */
const OWLV2_PAD_VALUE = 0.5;

/**
 * The preprocessing family comes from `image_processor_type`, as Transformers.js's auto classes pick it:
 * Owlv2 pads to a square first, SAM belongs to the Segment Anything path (longest side + padding), and every
 * other processor (CLIP, SigLIP, OWL-ViT, ViT for CLIPSeg, MobileCLIP, configs without the field) is resize
 * (+ center crop) + rescale + normalize read from its size fields.
 */
export function preprocessSpecFromConfig(config: PreprocessorConfig): PreprocessSpec {
  const type = config.image_processor_type;
  if (type === 'SamImageProcessor') throw new Error('SamImageProcessor configs are read by the Segment Anything path, not as a fixed-size resize');
  const spec = resizeCropSpec(config);
  return type === 'Owlv2ImageProcessor' ? { ...spec, padToSquare: { value: OWLV2_PAD_VALUE } } : spec;
}

function resizeCropSpec(config: PreprocessorConfig): PreprocessSpec {
  const size = config.size;
  let resize: PreprocessSpec['resize'] = { mode: 'none' };
  if (config.do_resize !== false && size !== undefined) {
    if (typeof size === 'number') {
      // A bare number means shortest edge when a crop follows (CLIP/MobileCLIP), a square otherwise.
      resize = config.do_center_crop === false ? { mode: 'exact', width: size, height: size } : { mode: 'shortest-edge', shortestEdge: size };
    } else if ('shortest_edge' in size) {
      resize = { mode: 'shortest-edge', shortestEdge: size.shortest_edge as number };
    } else if ('longest_edge' in size) {
      throw new Error('preprocessor_config.json sizes by longest_edge (a Segment Anything style processor), which has no fixed output size here');
    } else {
      resize = { mode: 'exact', width: size.width as number, height: size.height as number };
    }
  }
  const crop = config.do_center_crop === false ? undefined : cropSize(config.crop_size) ?? (resize.mode === 'shortest-edge' ? cropSize(size) : undefined);
  const output = crop ?? (resize.mode === 'exact' ? { width: resize.width, height: resize.height } : undefined);
  if (!output) throw new Error('preprocessor_config.json gives no fixed output size (needs crop_size or size {height,width})');
  const normalize = config.do_normalize !== false;
  return {
    resize,
    crop,
    kernel: KERNEL_BY_PIL_CODE[config.resample ?? 3] ?? 'cubic',
    rescale: config.do_rescale === false ? 1 : config.rescale_factor ?? 1 / 255,
    mean: normalize ? asTriple(config.image_mean, [0.48145466, 0.4578275, 0.40821073]) : [0, 0, 0],
    std: normalize ? asTriple(config.image_std, [0.26862954, 0.26130258, 0.27577711]) : [1, 1, 1],
    height: output.height,
    width: output.width,
  };
}

export function tensorLength(spec: PreprocessSpec): number {
  return 3 * spec.height * spec.width;
}
