// The model-input cache (main/engine/vision/input-cache.ts): the embed job's first pass leaves each image's
// resized and cropped pixels for the built-in model, and a pass through the cache gives the tensor of full
// decoding bit for bit; stale, damaged or foreign entries are decoded again, never trusted.
import { existsSync, readdirSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../../main/engine/engine';
import { DEFAULT_MODEL } from '../../../main/engine/vision/active-model';
import { embedImageFiles } from '../../../main/engine/vision/embed-files';
import { PreprocessPool } from '../../../main/engine/vision/preprocess-pool';
import { cachedInput, inputCacheEligible, inputCachePath } from '../../../main/engine/vision/input-cache';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';
import { preprocessFromCache, preprocessImage } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { generateScenes } from '../../../main/synthetic/generate';
import { tempDir } from '../../fixtures/images';

const sameBits = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('model-input cache', () => {
  it('is kept for small inputs only', () => {
    const spec = (edge: number) => preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { shortest_edge: edge }, crop_size: { height: edge, width: edge } }));
    expect(inputCacheEligible(spec(64))).toBe(true);
    expect(inputCacheEligible(spec(128))).toBe(true);
    expect(inputCacheEligible(spec(224))).toBe(false);
    expect(inputCacheEligible(spec(64), { WINNOW_INPUT_CACHE: '0' })).toBe(false);
    // Different resize, different entry folder: one model's pixels never feed another's.
    expect(inputCachePath('/t', spec(64), 5)).not.toBe(inputCachePath('/t', spec(96), 5));
  });

  it('is written by the embed job and gives full decoding’s tensors and embeddings exactly; stale or damaged entries are decoded again', async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    const sizes = [[960, 720], [720, 960], [1024, 512], [640, 640], [800, 600], [500, 900]];
    for (const [i, [width, height]] of sizes.entries()) {
      const [scene] = await generateScenes(1, { seed: `input-cache-${i}`, width, height });
      writeFileSync(path.join(data, `scene-${i}.jpg`), scene.jpeg);
    }
    const engine = new Engine('cli');
    try {
      const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
      await project.jobs.wait((await engine.addSource(data)).jobId);
      const items = project.items.page(0, 100);
      const { model } = await engine.active.get();
      const spec = model.preprocess;
      expect(inputCacheEligible(spec)).toBe(true);

      // First pass: the job decodes the originals (no thumbnails exist) and leaves one entry per item.
      expect(await project.jobs.wait(engine.embed())).toMatchObject({ state: 'done', done: sizes.length });
      const entries = items.map((item) => inputCachePath(project.thumbsDir, spec, item.id));
      expect(entries.every((entry) => existsSync(entry))).toBe(true);
      const set = project.embeddings.getSet(DEFAULT_MODEL)!;
      const images = project.embeddings.matrix(set, 'image');
      const full = (await embedImageFiles(model, items.map((i) => i.uri)).next()).value!;
      for (const [k, item] of items.entries()) {
        const stored = images.read(project.embeddings.rowsOf(set, item.id)!.imageRow);
        expect(Math.max(...stored.map((v, j) => Math.abs(v - full.embeddings[k * model.dim + j])))).toBeLessThan(1e-5);
      }
      images.close();

      // A later pass through the cache: the same tensors, bit for bit, as decoding each original in full.
      const inputs = items.map((item) => cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!);
      expect(inputs.every((input) => input.fresh)).toBe(true);
      for (const [k, input] of inputs.entries()) {
        const [cached, decoded] = [await preprocessImage(input, spec), await preprocessImage(items[k].uri, spec)];
        expect(sameBits(cached.data, decoded.data)).toBe(true);
        expect([cached.width, cached.height]).toEqual(sizes[k]);
      }
      // Served on this thread: no image goes to a worker, and none is started.
      const pool = new PreprocessPool(spec);
      const throughCache = (await embedImageFiles(model, inputs, { pool }).next()).value!;
      expect(sameBits(throughCache.embeddings, full.embeddings)).toBe(true);
      expect([pool.submitted, pool.completedPerWorker()]).toEqual([0, []]);
      await pool.close();

      // The entry is read, not the original: a source that is gone no longer matters while the entry is fresh…
      const viaEntryOnly = await preprocessImage({ ...inputs[0], source: '/nonexistent/original.jpg' }, spec);
      expect(sameBits(viaEntryOnly.data, (await preprocessImage(items[0].uri, spec)).data)).toBe(true);
      // …an original rewritten after its entry makes the entry stale…
      const later = new Date(statSync(entries[1]).mtimeMs + 60_000);
      utimesSync(items[1].uri, later, later);
      expect(preprocessFromCache(cachedInput(project.thumbsDir, spec, items[1].id, items[1].uri, items[1].uri, true)!, spec)).toBeNull();
      // …and a damaged entry (cut short) or one of another preprocessing is decoded from the source again and rewritten.
      truncateSync(entries[2], 100);
      const repaired = await preprocessImage(inputs[2], spec);
      expect(sameBits(repaired.data, (await preprocessImage(items[2].uri, spec)).data)).toBe(true);
      expect(statSync(entries[2]).size).toBeGreaterThan(100);
      const other = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { shortest_edge: 48 }, crop_size: { height: 48, width: 48 } }));
      const foreign = await preprocessImage(inputs[3], other);
      expect(sameBits(foreign.data, (await preprocessImage(items[3].uri, other)).data)).toBe(true);
      expect(readdirSync(path.dirname(entries[0])).every((name) => name.endsWith('.rgb'))).toBe(true);

      // A source replaced by another picture that carries an OLDER mtime than its entry (`cp -p`, `rsync -t`, an
      // unpacked archive) is decoded again: the entry names the file it was made from, not a time to beat.
      const oldPixels = preprocessFromCache(inputs[4], spec)!;
      const [replacement] = await generateScenes(1, { seed: 'input-cache-replacement', width: sizes[4][0], height: sizes[4][1] });
      writeFileSync(items[4].uri, replacement.jpeg);
      const older = new Date(statSync(entries[4]).mtimeMs - 3_600_000);
      utimesSync(items[4].uri, older, older);
      const newPixels = await preprocessImage(items[4].uri, spec);
      expect(sameBits(oldPixels.data, newPixels.data)).toBe(false);
      const replaced = cachedInput(project.thumbsDir, spec, items[4].id, items[4].uri, items[4].uri, true)!;
      expect(replaced.fresh).toBe(true); // the old entry is still there…
      expect(sameBits((await preprocessImage(replaced, spec)).data, newPixels.data)).toBe(true);
      // …and was rewritten from the new pixels: the next pass reads them from the entry.
      expect(sameBits(preprocessFromCache(replaced, spec)!.data, newPixels.data)).toBe(true);
    } finally {
      await engine.close();
    }
  }, 180_000);
});
