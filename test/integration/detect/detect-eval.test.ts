// Box AP@0.5 and mean mask IoU of the built-in model's dense detection on 100 generated 2-object
// scenes (queries "{color} {shape}" per ground-truth object; ground truth from the generator).
// The floors are what was measured minus a margin; see FLOORS for the model export they come from.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DenseClipDetector } from '../../../main/engine/detect/detector';
import { ClipModel } from '../../../main/engine/vision/clip-model';
import { SHOTS } from '../../fixtures/browser';
import { BUILTIN_MODEL_DIR, HAS_BUILTIN_MODEL } from '../../fixtures/vision/builtin-model';
import { evaluate } from './eval-lib';

/**
 * Measured 2026-11-28 on the trained export of winnow-clip-mini (1609 steps; sha256 vision_model.onnx 49eecf5d…,
 * text_model.onnx b0b43a19…), threshold 0.5, mask threshold 0.65: mAP@0.5 0.881, mean mask IoU 0.618. Floors = measured
 * − 0.05 overall, − 0.12 per class (20–37 objects per class: one miss moves AP by ~0.03–0.05).
 */
const MEASURED: Record<string, [ap: number, maskIou: number]> = {
  circle: [0.897, 0.611], cross: [0.889, 0.582], diamond: [0.833, 0.606], heart: [0.9, 0.588],
  hexagon: [0.955, 0.709], square: [0.742, 0.641], star: [0.923, 0.586], triangle: [0.907, 0.618],
};
const FLOORS = { mAP: 0.881 - 0.05, meanMaskIou: 0.618 - 0.05, perClass: 0.12 };

let model: ClipModel;

describe.skipIf(!HAS_BUILTIN_MODEL)('dense detection quality on generated scenes', () => {
  beforeAll(async () => {
    model = await ClipModel.load(BUILTIN_MODEL_DIR, { threads: 1 });
  });
  afterAll(async () => {
    await model?.dispose();
  });

  it('keeps box AP@0.5 and mask IoU per class above the measured floors', async () => {
    const r = await evaluate(new DenseClipDetector(model), 100, { threshold: 0.5 });
    await mkdir(SHOTS, { recursive: true });
    await writeFile(path.join(SHOTS, 'detect-eval.json'), JSON.stringify(r, null, 1));
    console.log(`dense detection, 100 scenes: mAP@0.5 ${r.mAP.toFixed(3)}, mean mask IoU ${r.meanMaskIou.toFixed(3)}`);
    for (const [k, v] of Object.entries(r.perClass)) console.log(`  ${k.padEnd(9)} AP@0.5 ${v.ap.toFixed(3)}  mask IoU ${v.maskIou.toFixed(3)}  (${v.objects} objects)`);
    expect(Object.keys(r.perClass)).toHaveLength(8);
    for (const [k, [ap, iou]] of Object.entries(MEASURED)) {
      expect(r.perClass[k].ap, `${k} AP@0.5`).toBeGreaterThanOrEqual(ap - FLOORS.perClass);
      expect(r.perClass[k].maskIou, `${k} mask IoU`).toBeGreaterThanOrEqual(iou - FLOORS.perClass);
    }
    expect(r.mAP).toBeGreaterThanOrEqual(FLOORS.mAP);
    expect(r.meanMaskIou).toBeGreaterThanOrEqual(FLOORS.meanMaskIou);
  });
});
