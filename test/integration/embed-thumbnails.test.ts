// Cached thumbnails as model input (main/engine/vision/thumbnail-input.ts): the rule for when they may stand in
// for the original, and parity of the embeddings the job stores from them with full decoding of the originals.
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { DEFAULT_MODEL } from '../../main/engine/vision/active-model';
import { embedImageFiles } from '../../main/engine/vision/embed-files';
import { cachedInput, inputCachePath } from '../../main/engine/vision/input-cache';
import { INPUTS_JOB } from '../../main/engine/vision/input-pass';
import { preprocessFromCache } from '../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig } from '../../main/engine/vision/preprocess-spec';
import { thumbnailCovers, thumbnailInput } from '../../main/engine/vision/thumbnail-input';
import { generateScenes } from '../../main/synthetic/generate';
import { tempDir } from '../fixtures/images';

const clip = (shortestEdge: number) => preprocessSpecFromConfig({ do_resize: true, size: { shortest_edge: shortestEdge }, do_center_crop: true, crop_size: { width: shortestEdge, height: shortestEdge }, resample: 3, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] });

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return dot / Math.sqrt(na * nb);
};

/**
 * A project that imported generated photographs of shapes on textured backgrounds (`sizes`, 480–960 px: the grid's
 * thumbnails are 320 px), with `name` set to `value` in the environment for the test.
 */
async function importScenes(seed: string, sizes: number[][], name: string, value: string) {
  process.env.WINNOW_HOME = await tempDir();
  process.env[name] = value;
  onTestFinished(() => {
    delete process.env[name];
  });
  const data = await tempDir();
  for (const [i, [width, height]] of sizes.entries()) {
    const [scene] = await generateScenes(1, { seed: `${seed}-${i}`, width, height });
    writeFileSync(path.join(data, `scene-${i}.jpg`), scene.jpeg);
  }
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
  await project.jobs.wait((await engine.addSource(data)).jobId);
  return { engine, project };
}

describe('thumbnails as model input', () => {
  it('allows a thumbnail only when it downscales the original and covers the size the processor resizes to', () => {
    // A 64-px CLIP model resizes a 1200×900 photo to 85×64: a 320×240 thumbnail covers it.
    expect(thumbnailCovers(clip(64), { width: 1200, height: 900 }, { width: 320, height: 240 })).toBe(true);
    // ViT-B/32 resizes the same photo to 298×224: 320×240 still covers it.
    expect(thumbnailCovers(clip(224), { width: 1200, height: 900 }, { width: 320, height: 240 })).toBe(true);
    // A 16:9 photo's thumbnail is 320×180, short of 224 on its short side: the original is decoded.
    expect(thumbnailCovers(clip(224), { width: 1920, height: 1080 }, { width: 320, height: 180 })).toBe(false);
    // A 336-px model needs more than a 320-px thumbnail holds.
    expect(thumbnailCovers(clip(336), { width: 2000, height: 2000 }, { width: 320, height: 320 })).toBe(false);
    // An original no larger than the thumbnail: the thumbnail is a lossy copy, never used.
    expect(thumbnailCovers(clip(64), { width: 200, height: 150 }, { width: 200, height: 150 })).toBe(false);
  });

  it('embeds from cached thumbnails with cosine ≥ 0.99 to full decoding, and ignores stale or missing ones', async () => {
    // The built-in model's inputs would otherwise be prepared behind the import (inputs-job.ts) and read
    // before any thumbnail: with the model-input cache off, thumbnails are what the job decodes.
    const sizes = [[960, 720], [720, 960], [640, 480], [800, 800], [900, 600], [480, 640], [960, 540], [700, 525]];
    const { engine, project } = await importScenes('thumb-parity', sizes, 'WINNOW_INPUT_CACHE', '0');
    const items = project.items.page(0, 100);
    expect(items).toHaveLength(sizes.length);
    const { model } = await engine.active.get();

    // Thumbnails exist once the grid has shown the items; one is then older than its (rewritten) original.
    for (const item of items) await engine.getMedia('thumb', item.id);
    const stale = items[items.length - 1];
    const later = new Date(Date.now() + 60_000);
    utimesSync(stale.uri, later, later);
    const chosen = items.map((i) => thumbnailInput(project.thumbsDir, i.id, i.uri, i, model.preprocess));
    expect(chosen.slice(0, -1).every((t) => t !== null && t.endsWith('.webp'))).toBe(true);
    expect(chosen.at(-1)).toBeNull();

    const job = await project.jobs.wait(engine.embed());
    expect(job).toMatchObject({ state: 'done', done: sizes.length });
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    const images = project.embeddings.matrix(set, 'image');
    const full = (await embedImageFiles(model, items.map((i) => i.uri)).next()).value!.embeddings;
    const fromThumbs = (await embedImageFiles(model, chosen.map((t, k) => t ?? items[k].uri)).next()).value!.embeddings;
    for (const [k, item] of items.entries()) {
      const stored = images.read(project.embeddings.rowsOf(set, item.id)!.imageRow);
      const expectedFull = full.subarray(k * model.dim, (k + 1) * model.dim);
      // What the job stored is the thumbnail's embedding where one was allowed, the original's otherwise…
      const expectedInput = fromThumbs.subarray(k * model.dim, (k + 1) * model.dim);
      expect(Math.max(...stored.map((v, j) => Math.abs(v - expectedInput[j])))).toBeLessThan(1e-5);
      // …and it agrees with full decoding of the original.
      expect(cosine(stored, expectedFull)).toBeGreaterThanOrEqual(0.99);
    }
    images.close();
    await engine.close();
  });

  it('with the model-input cache on, reads the entries that exist and decodes the thumbnail only where none does', async () => {
    // The embed job tries each entry's read without looking for it first and looks up the thumbnail only on a miss
    // (item-inputs.ts onMiss): items with an entry must get full decoding's vector bit for bit, the others the
    // thumbnail's, and their new entries must be marked as made from a stand-in.
    const sizes = [[960, 720], [720, 960], [640, 480], [800, 800], [900, 600], [480, 640]];
    const { engine, project } = await importScenes('thumb-miss', sizes, 'WINNOW_INPUT_PASS', '1');
    const pass = project.jobs.list().find((job) => job.kind === INPUTS_JOB)!;
    await project.jobs.wait(pass.id);
    const items = project.items.page(0, 100);
    const { model } = await engine.active.get();
    const spec = model.preprocess;
    for (const item of items) await engine.getMedia('thumb', item.id);
    // Odd items lose their entry: the job must fall back to their thumbnails.
    const missing = items.filter((_, k) => k % 2 === 1);
    for (const item of missing) rmSync(inputCachePath(project.thumbsDir, spec, item.id));
    const thumbs = items.map((i) => thumbnailInput(project.thumbsDir, i.id, i.uri, i, spec));
    expect(thumbs.every((t) => t !== null)).toBe(true);

    const job = await project.jobs.wait(engine.embed());
    expect(job).toMatchObject({ state: 'done', done: sizes.length });
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    const images = project.embeddings.matrix(set, 'image');
    const full = (await embedImageFiles(model, items.map((i) => i.uri)).next()).value!.embeddings;
    const fromThumbs = (await embedImageFiles(model, thumbs.map((t) => t!)).next()).value!.embeddings;
    for (const [k, item] of items.entries()) {
      const stored = images.read(project.embeddings.rowsOf(set, item.id)!.imageRow);
      const row = (m: Float32Array) => m.subarray(k * model.dim, (k + 1) * model.dim);
      const gap = (m: Float32Array) => Math.max(...stored.map((v, j) => Math.abs(v - row(m)[j])));
      const entry = cachedInput(project.thumbsDir, spec, item.id, item.uri, item.uri, true)!;
      expect(existsSync(entry.cache)).toBe(true);
      if (k % 2 === 0) {
        expect(gap(full)).toBe(0);
        expect(preprocessFromCache({ ...entry, requireExact: true }, spec)).not.toBeNull();
      } else {
        // The thumbnail's vector, which is not the original's: the fallback really took the thumbnail.
        expect(gap(fromThumbs)).toBeLessThan(1e-5);
        expect(gap(full)).toBeGreaterThan(1e-5);
        expect(preprocessFromCache({ ...entry, requireExact: true }, spec)).toBeNull();
      }
    }
    images.close();
    await engine.close();
  });
});
