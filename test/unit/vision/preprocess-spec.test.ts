import { describe, expect, it } from 'vitest';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { computeGeometry } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';

const clipConfig = preprocessorConfigSchema.parse({
  crop_size: { height: 224, width: 224 },
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  image_mean: [0.48145466, 0.4578275, 0.40821073],
  image_std: [0.26862954, 0.26130258, 0.27577711],
  resample: 3,
  size: { shortest_edge: 224 },
});

const siglipConfig = preprocessorConfigSchema.parse({
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_std: [0.5, 0.5, 0.5],
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { height: 224, width: 224 },
});

describe('preprocessSpecFromConfig', () => {
  it('reads a CLIP config: shortest edge, center crop, bicubic, CLIP mean/std', () => {
    const spec = preprocessSpecFromConfig(clipConfig);
    expect(spec.resize).toEqual({ mode: 'shortest-edge', shortestEdge: 224 });
    expect(spec.crop).toEqual({ width: 224, height: 224 });
    expect(spec.kernel).toBe('cubic');
    expect(spec.rescale).toBeCloseTo(1 / 255);
    expect([spec.height, spec.width]).toEqual([224, 224]);
  });

  it('reads a SigLIP config: exact resize, no crop', () => {
    const spec = preprocessSpecFromConfig(siglipConfig);
    expect(spec.resize).toEqual({ mode: 'exact', width: 224, height: 224 });
    expect(spec.crop).toBeUndefined();
    expect(spec.mean).toEqual([0.5, 0.5, 0.5]);
  });

  it('accepts bare-number sizes and turns off normalization when asked', () => {
    const spec = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: 256, crop_size: 256, do_normalize: false, resample: 2 }));
    expect(spec.resize).toEqual({ mode: 'shortest-edge', shortestEdge: 256 });
    expect(spec.crop).toEqual({ width: 256, height: 256 });
    expect(spec.mean).toEqual([0, 0, 0]);
    expect(spec.std).toEqual([1, 1, 1]);
    expect(spec.kernel).toBe('bilinear');
  });

  it('rejects a config without an output size', () => {
    expect(() => preprocessSpecFromConfig(preprocessorConfigSchema.parse({ do_resize: false, do_center_crop: false }))).toThrow(/output size/);
  });
});

describe('computeGeometry (transformers resize + center crop arithmetic)', () => {
  const spec = preprocessSpecFromConfig(clipConfig);

  it('scales the short side to 224 and floors the long side', () => {
    expect(computeGeometry(spec, 640, 480)).toMatchObject({ resizeWidth: 298, resizeHeight: 224, crop: { left: 37, top: 0, width: 224, height: 224 } });
    expect(computeGeometry(spec, 333, 500)).toMatchObject({ resizeWidth: 224, resizeHeight: 336, crop: { left: 0, top: 56 } });
  });

  it('stretches to the exact size for SigLIP', () => {
    expect(computeGeometry(preprocessSpecFromConfig(siglipConfig), 640, 100)).toMatchObject({ resizeWidth: 224, resizeHeight: 224, crop: { left: 0, top: 0 } });
  });
});
