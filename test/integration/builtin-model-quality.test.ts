import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_ROOT } from '../../main/engine/paths';
import { evaluate } from '../../models/evaluation/evaluate';

// A smaller run of `npm run eval:model` (the card's numbers come from n=2000): guards against a model or
// preprocessing regression. Bounds sit below the card's measurements by the sampling error of the smaller n.
describe('built-in model quality on the TypeScript generator', () => {
  it('keeps zero-shot accuracy, pair-score AUC and dense localization near the card', async () => {
    const e = await evaluate({ modelDir: path.join(APP_ROOT, 'models', 'winnow-clip-mini'), n: 300, seed: 'ci-quality', size: 96 });
    // Card (n=2000): 99.9% seen, 98.5% held-out, AUC 0.9997, best patch inside 98.0%, mask IoU 0.674.
    expect(e.zeroShotSeen).toBeGreaterThanOrEqual(0.97);
    expect(e.zeroShotHeldOut).toBeGreaterThanOrEqual(0.93);
    expect(e.pairAuc).toBeGreaterThanOrEqual(0.995);
    expect(e.bestPatchInside).toBeGreaterThanOrEqual(0.93);
    expect(e.meanMaskIou).toBeGreaterThanOrEqual(0.6);
  }, 300_000);
});
