// The registry's calibration blocks: every value has a documented source and passes the domain schema;
// the built-in model's entry holds the values its engine defaults were fitted with.
import { describe, expect, it } from 'vitest';
import { CalibrationBlock, checkCalibrationValue, parseCalibrationValue } from '../../main/domain/calibration';
import { CALIBRATION_KEYS } from '../../main/domain/model-tasks';
import { SEMANTIC_DEDUP_DEFAULTS } from '../../main/domain/similarity-defaults';
import { DEFAULT_THRESHOLD, MASK_MARGIN } from '../../main/engine/detect/detector';
import { DEFAULT_TEMPLATES } from '../../main/engine/curate/zero-shot';
import { loadRegistry } from '../../main/engine/vision/model-registry';

describe('registry calibration', () => {
  it('gives every calibrated value a source', async () => {
    const registry = await loadRegistry();
    for (const entry of registry.models) {
      if (!entry.calibration) continue;
      for (const key of CALIBRATION_KEYS) if (entry.calibration[key] !== undefined) expect(entry.calibration.sources[key], `${entry.id}.${key}`).toMatch(/\S{10,}/);
    }
    expect(() => CalibrationBlock.parse({ pairThreshold: 0.3, sources: {} })).toThrow(/pairThreshold needs a documented source/);
  });

  it("holds the built-in model's fitted constants and LAION's CLIP ViT-B/32 pair threshold", async () => {
    const registry = await loadRegistry();
    const builtin = registry.models.find((m) => m.id === 'winnow-clip-mini')!.calibration!;
    expect(builtin.semanticCosine).toBe(SEMANTIC_DEDUP_DEFAULTS.cosineThreshold);
    expect(builtin.semanticCandidate).toBe(SEMANTIC_DEDUP_DEFAULTS.candidateThreshold);
    expect(builtin.detectThreshold).toBe(DEFAULT_THRESHOLD['dense-clip']);
    expect(builtin.maskMargin).toBe(MASK_MARGIN);
    expect(builtin.labelTemplates).toEqual([...DEFAULT_TEMPLATES]);
    const b32 = registry.models.find((m) => m.id === 'clip-vit-base-patch32')!.calibration!;
    expect(b32.pairThreshold).toBe(0.28);
    expect(b32.sources.pairThreshold).toMatch(/LAION-5B/);
  });

  it('parses and checks override values given as text', () => {
    expect(checkCalibrationValue('pairThreshold', parseCalibrationValue('pairThreshold', '0.31'))).toBe(0.31);
    expect(checkCalibrationValue('labelTemplates', parseCalibrationValue('labelTemplates', 'a {} | a photo of a {}'))).toEqual(['a {}', 'a photo of a {}']);
    expect(() => checkCalibrationValue('labelTemplates', ['no placeholder'])).toThrow(/needs \{\}/);
    expect(() => checkCalibrationValue('detectThreshold', parseCalibrationValue('detectThreshold', 'high'))).toThrow(/detectThreshold/);
    expect(() => checkCalibrationValue('semanticCosine', 1.5)).toThrow(/semanticCosine/);
  });
});
