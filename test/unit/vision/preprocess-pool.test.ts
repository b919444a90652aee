import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { PreprocessPool } from '../../../main/engine/vision/preprocess-pool';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { BLUE, RED, plainJpeg, truncatedJpeg } from '../../fixtures/vision/images';

const spec = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { shortest_edge: 32 }, crop_size: { height: 32, width: 32 } }));

describe('PreprocessPool', () => {
  let pool: PreprocessPool;
  beforeAll(() => {
    pool = new PreprocessPool(spec, { size: 2 });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('produces the same tensors as in-process preprocessing, across worker threads', async () => {
    const red = await plainJpeg(64, 48, RED);
    const blue = await plainJpeg(40, 80, BLUE);
    const [fromPoolRed, fromPoolBlue] = await pool.preprocessMany([red, blue]);
    const direct = await preprocessImage(red, spec);
    expect(fromPoolRed.ok && fromPoolBlue.ok).toBe(true);
    if (!fromPoolRed.ok || !fromPoolBlue.ok) return;
    expect(fromPoolRed.data).toEqual(direct.data);
    expect([fromPoolBlue.width, fromPoolBlue.height]).toEqual([40, 80]);
  });

  it('turns corrupt and missing images into per-item reasons and keeps working', async () => {
    const results = await pool.preprocessMany([Buffer.from('junk'), await truncatedJpeg(), '/nonexistent/winnow.png', await plainJpeg(32, 32)]);
    expect(results.map((result) => result.ok)).toEqual([false, false, false, true]);
    for (const result of results.slice(0, 3)) if (!result.ok) expect(result.reason.length).toBeGreaterThan(0);
  });

  it('keeps many tasks in order under load', async () => {
    const images = await Promise.all(Array.from({ length: 24 }, (_, i) => plainJpeg(32 + i, 32, i % 2 ? RED : BLUE)));
    const results = await pool.preprocessMany(images);
    expect(results.every((result, i) => result.ok && result.width === 32 + i)).toBe(true);
  });

  it('fails a task that cannot be sent to a worker with the reason, and keeps working (it used to wait forever)', async () => {
    const unsendable = { source: await plainJpeg(32, 32), cache: '/nonexistent/winnow-entry', fresh: false, stamp: new Uint8Array(24), onMiss: () => unsendable };
    const result = await pool.prepareInput(unsendable);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(/cannot send the image to a preprocessing worker/);
    // Its slot was given back: a full round of tasks afterwards still completes.
    const images = await Promise.all(Array.from({ length: 12 }, (_, i) => plainJpeg(32 + i, 32, RED)));
    expect((await pool.preprocessMany(images)).every((r, i) => r.ok && r.width === 32 + i)).toBe(true);
  }, 20_000);
});
