// The preprocessing pool's child-process mode: the same tensors as thread mode, bit for bit, and a
// killed or crashing child costs at most its own images (retried once, then reported), never a hang.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { PreprocessPool } from '../../../main/engine/vision/preprocess-pool';
import { poolSizing } from '../../../main/engine/vision/preprocess-mode';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { generateScenes } from '../../../main/synthetic/generate';
import { tempDir } from '../../fixtures/images';
import { cmykJpeg, exifRotatedJpeg, RED, transparentPng, truncatedJpeg } from '../../fixtures/vision/images';

const clip224 = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, resample: 3 }));
const siglip = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { height: 96, width: 96 }, do_center_crop: false, resample: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] }));

const exited = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('PreprocessPool in process mode', () => {
  let images: (Buffer | string)[];
  beforeAll(async () => {
    const scenes = await generateScenes(6, { seed: 'pool-process', width: 640, height: 480 });
    const wide = await generateScenes(2, { seed: 'pool-process-wide', width: 900, height: 400 });
    const dir = await tempDir();
    // Paths (the workers read the file) and bytes (images inside archives) both cross the process boundary.
    const onDisk = scenes.slice(0, 3).map((scene, i) => {
      const file = path.join(dir, `scene-${i}.jpg`);
      writeFileSync(file, scene.jpeg);
      return file;
    });
    images = [...onDisk, ...scenes.slice(3).map((s) => s.jpeg), ...wide.map((s) => s.jpeg), await exifRotatedJpeg(), await transparentPng(), await cmykJpeg(RED)];
  }, 60_000);

  it('produces the thread pool’s tensors bit for bit', async () => {
    for (const spec of [clip224, siglip]) {
      const threads = new PreprocessPool(spec, { mode: 'thread', size: 2 });
      const processes = new PreprocessPool(spec, { mode: 'process', size: 2 });
      try {
        expect([threads.mode, processes.mode]).toEqual(['thread', 'process']);
        // Both children up before the work: tasks go only to started workers, and workers start on demand.
        await processes.started();
        const [a, b] = await Promise.all([threads.preprocessMany(images), processes.preprocessMany(images)]);
        expect(a.every((r) => r.ok)).toBe(true);
        for (const [i, result] of b.entries()) {
          const expected = a[i];
          if (!result.ok || !expected.ok) throw new Error(`image ${i} failed`);
          expect([result.width, result.height]).toEqual([expected.width, expected.height]);
          expect(Buffer.from(result.data.buffer).equals(Buffer.from(expected.data.buffer))).toBe(true);
        }
        // Work spread over both children.
        expect(processes.completedPerWorker().every((n) => n > 0)).toBe(true);
      } finally {
        await Promise.all([threads.close(), processes.close()]);
      }
    }
  }, 120_000);

  it('reports bad images per item, like thread mode', async () => {
    const pool = new PreprocessPool(siglip, { mode: 'process', size: 1 });
    try {
      const results = await pool.preprocessMany([Buffer.from('junk'), await truncatedJpeg(), '/nonexistent/winnow.png', images[0]]);
      expect(results.map((r) => r.ok)).toEqual([false, false, false, true]);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('replaces a killed child and retries its images on the new one', async () => {
    const pool = new PreprocessPool(clip224, { mode: 'process', size: 1 });
    try {
      await pool.preprocess(images[0]); // the child is up
      const [first] = pool.workerPids();
      const work = pool.preprocessMany(Array.from({ length: 12 }, (_, i) => images[i % images.length]));
      process.kill(first, 'SIGKILL');
      const results = await work;
      expect(results.every((r) => r.ok)).toBe(true);
      expect(pool.workerPids()).toHaveLength(1);
      expect(pool.workerPids()[0]).not.toBe(first);
      expect(exited(first)).toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('reports an image as failed when it takes down a second child too, and keeps going', async () => {
    const pool = new PreprocessPool(clip224, { mode: 'process', size: 1, inFlightPerWorker: 1 });
    // Stands for an image that crashes the decoder: whichever child holds it dies. A large noise PNG (no
    // shrink-on-load) keeps each child busy long enough to be killed while it holds the image; a child is
    // given the queued image the moment it reports ready, which is when its id is listed.
    const slow = path.join(await tempDir(), 'noise.png');
    await sharp(randomBytes(2400 * 2400 * 3), { raw: { width: 2400, height: 2400, channels: 3 } }).png({ compressionLevel: 1 }).toFile(slow);
    try {
      await pool.preprocess(images[1]);
      const doomed = pool.preprocess(slow);
      const killed: number[] = [];
      for (let round = 0; round < 2; round++) {
        const pid = await until(() => pool.workerPids().find((p) => !killed.includes(p)), 'a fresh child');
        killed.push(pid);
        process.kill(pid, 'SIGKILL');
      }
      const result = await doomed;
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/preprocess process exited \(SIGKILL\)/);
      expect((await pool.preprocess(images[2])).ok).toBe(true);
    } finally {
      await pool.close();
    }
  }, 60_000);

  it('fails tasks instead of hanging when workers cannot start, in both modes', async () => {
    for (const mode of ['thread', 'process'] as const) {
      const pool = new PreprocessPool(siglip, { mode, size: 2, workerUrl: new URL('file:///nonexistent/winnow-worker.mjs') });
      try {
        const results = await pool.preprocessMany([images[0], images[1]]);
        expect(results.map((r) => r.ok)).toEqual([false, false]);
        if (!results[0].ok) expect(results[0].reason).toMatch(/cannot start/);
        expect((await pool.preprocess(images[2])).ok).toBe(false);
      } finally {
        await pool.close();
      }
    }
  }, 60_000);
});

describe('pool sizing', () => {
  it('uses threads (at most 4) on few cores, child processes from 6 cores, and follows the overrides', () => {
    expect(poolSizing({}, 2, {})).toEqual({ mode: 'thread', size: 1 });
    expect(poolSizing({}, 4, {})).toEqual({ mode: 'thread', size: 3 });
    expect(poolSizing({}, 16, {})).toEqual({ mode: 'process', size: 15 });
    expect(poolSizing({ mode: 'thread' }, 16, {})).toEqual({ mode: 'thread', size: 4 });
    expect(poolSizing({}, 16, { WINNOW_PREPROCESS_MODE: 'thread', WINNOW_PREPROCESS_WORKERS: '8' })).toEqual({ mode: 'thread', size: 8 });
    expect(poolSizing({ size: 3 }, 2, { WINNOW_PREPROCESS_MODE: 'process' })).toEqual({ mode: 'process', size: 3 });
    expect(() => poolSizing({}, 2, { WINNOW_PREPROCESS_MODE: 'fork' })).toThrow(/thread, process or auto/);
    expect(() => poolSizing({}, 2, { WINNOW_PREPROCESS_WORKERS: '0' })).toThrow(/positive integer/);
  });
});
