// The embedding stream gives its preprocessing pool another worker only while decoding sets the pace and a core
// sits idle (embed-files.ts), and the pool's grow() adds a worker that really takes tasks, never past maxSize.
import { afterEach, describe, expect, it } from 'vitest';
import { GROW_AFTER_BATCHES, GROW_MIN_IDLE_CORES, poolGrowth, type IdleSample } from '../../../main/engine/vision/embed-files';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { preprocessImage } from '../../../main/engine/vision/preprocess';
import { PreprocessPool } from '../../../main/engine/vision/preprocess-pool';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { BLUE, RED, plainJpeg } from '../../fixtures/vision/images';

/** Idle-time readings 100 ms apart with `idleCores` cores idle in each interval. */
function idleReadings(idleCores: number[]): () => IdleSample {
  let index = 0;
  let idleMs = 0;
  return () => {
    const at = index * 100;
    if (index > 0) idleMs += idleCores[index - 1] * 100;
    index++;
    return { idleMs, at };
  };
}

describe('poolGrowth', () => {
  it('grows after GROW_AFTER_BATCHES decode-bound batches with a core idle, not counting the first batch', () => {
    const batches = 1 + GROW_AFTER_BATCHES;
    const growth = poolGrowth(idleReadings(Array(batches).fill(1)));
    const decisions = Array.from({ length: batches }, () => growth.decodeBound(50, 10));
    expect(decisions).toEqual([...Array(batches - 1).fill(false), true]);
  });

  it('does not grow while inference, not decoding, sets the pace', () => {
    const growth = poolGrowth(idleReadings(Array(8).fill(1)));
    expect(Array.from({ length: 8 }, () => growth.decodeBound(10, 50))).not.toContain(true);
  });

  it('does not grow when no core is idle (another load has the machine), and an interruption restarts the count', () => {
    const busy = poolGrowth(idleReadings(Array(8).fill(GROW_MIN_IDLE_CORES / 2)));
    expect(Array.from({ length: 8 }, () => busy.decodeBound(50, 10))).not.toContain(true);
    // Decode-bound, then one inference-bound batch, then decode-bound again: the streak starts over.
    const waits = [50, ...Array(GROW_AFTER_BATCHES - 1).fill(50), 5, ...Array(GROW_AFTER_BATCHES).fill(50)];
    const interrupted = poolGrowth(idleReadings(Array(waits.length).fill(1)));
    const decisions = waits.map((waited) => interrupted.decodeBound(waited, 10));
    expect(decisions.indexOf(true)).toBe(waits.length - 1);
  });
});

describe('PreprocessPool.grow', () => {
  const spec = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { shortest_edge: 32 }, crop_size: { height: 32, width: 32 } }));
  let pool: PreprocessPool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  it('adds a worker that takes tasks and gives the same tensors, up to maxSize', async () => {
    pool = new PreprocessPool(spec, { mode: 'thread' });
    expect(pool.maxSize).toBeGreaterThanOrEqual(pool.size);
    const images = await Promise.all(Array.from({ length: 12 }, (_, i) => plainJpeg(40 + i, 36, i % 2 ? RED : BLUE)));
    await pool.preprocessMany(images.slice(0, 2));
    const grew: boolean[] = [];
    while (pool.size < pool.maxSize) grew.push(pool.grow());
    expect(grew.every(Boolean)).toBe(true);
    expect(pool.grow()).toBe(false);
    await pool.started();
    const before = pool.completedPerWorker();
    expect(before).toHaveLength(pool.maxSize);
    const results = await pool.preprocessMany(images);
    const after = pool.completedPerWorker();
    // Every worker, the added ones included, took part of the work.
    expect(after.every((count, worker) => count > before[worker])).toBe(true);
    for (const [i, result] of results.entries()) {
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.data).toEqual((await preprocessImage(images[i], spec)).data);
    }
  });

  it('never grows a pool whose size the caller fixed', async () => {
    pool = new PreprocessPool(spec, { size: 1 });
    expect(pool.maxSize).toBe(1);
    expect(pool.grow()).toBe(false);
    expect(pool.size).toBe(1);
  });
});
