import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipModel } from '../../../main/engine/vision/clip-model';
import { embedImageFiles, type EmbeddedBatch } from '../../../main/engine/vision/embed-files';
import { PreprocessPool } from '../../../main/engine/vision/preprocess-pool';
import { BUILTIN_MODEL_DIR, REFERENCE_DIR, loadReference, maxAbsDiff, normalized, type Reference } from '../../fixtures/vision/builtin-model';
import { truncatedJpeg } from '../../fixtures/vision/images';

async function collect(stream: AsyncIterable<EmbeddedBatch>): Promise<EmbeddedBatch[]> {
  const batches: EmbeddedBatch[] = [];
  for await (const batch of stream) batches.push(batch);
  return batches;
}

describe('embedImageFiles on a folder with a corrupt file', () => {
  let model: ClipModel;
  let reference: Reference;
  let folder: string;
  let paths: string[];
  let pool: PreprocessPool;

  beforeAll(async () => {
    reference = await loadReference();
    model = await ClipModel.load(BUILTIN_MODEL_DIR, { provider: 'cpu', threads: 1 });
    pool = new PreprocessPool(model.preprocess, { size: 2 });
    await pool.started();
    folder = await mkdtemp(path.join(os.tmpdir(), 'winnow-embed-'));
    paths = [];
    // Reference images repeated (so expected embeddings are known), with one corrupt and one missing file.
    for (let copy = 0; copy < 3; copy++) {
      for (const image of reference.images) {
        const target = path.join(folder, `${copy}-${image.file}`);
        await copyFile(path.join(REFERENCE_DIR, image.file), target);
        paths.push(target);
      }
    }
    await writeFile(path.join(folder, 'corrupt.jpg'), await truncatedJpeg());
    paths.splice(5, 0, path.join(folder, 'corrupt.jpg'));
    paths.push(path.join(folder, 'missing.png'));
  });
  afterAll(async () => {
    await pool?.close();
    await model?.dispose();
    await rm(folder, { recursive: true, force: true });
  });

  function expectedRow(pathIndex: number): Float32Array {
    const name = path.basename(paths[pathIndex]).replace(/^\d-/, '');
    return normalized(reference.images.find((image) => image.file === name)!.image_embeds);
  }

  it('embeds every readable image, reports the unreadable ones, and keeps stream order', async () => {
    const seen: number[] = [];
    const batches = await collect(embedImageFiles(model, paths, { batchSize: 4, pool, patches: true, onBatch: (batch) => void seen.push(batch.indexes.length) }));
    expect(batches).toHaveLength(Math.ceil(paths.length / 4));
    expect(seen).toEqual(batches.map((batch) => batch.indexes.length));
    const errors = batches.flatMap((batch) => batch.errors);
    expect(errors.map((error) => error.index)).toEqual([5, paths.length - 1]);
    expect(errors[1].reason).toMatch(/ENOENT/);
    const indexes = batches.flatMap((batch) => batch.indexes);
    expect(indexes).toEqual(paths.map((_, index) => index).filter((index) => index !== 5 && index !== paths.length - 1));
    for (const batch of batches) {
      expect(batch.embeddings.length).toBe(batch.indexes.length * model.dim);
      expect(batch.patches?.data.length).toBe(batch.indexes.length * 64 * 128);
      batch.indexes.forEach((index, row) => {
        expect(maxAbsDiff(batch.embeddings.subarray(row * 128, (row + 1) * 128), expectedRow(index))).toBeLessThanOrEqual(1e-4);
      });
    }
  });

  it('accepts an async stream of paths and bytes, and spreads decoding over the pool threads', async () => {
    async function* source() {
      for (const file of paths.slice(0, 8)) yield file;
      yield Buffer.from('not an image');
    }
    const before = pool.completedPerWorker();
    const batches = await collect(embedImageFiles(model, source(), { batchSize: 3, pool }));
    expect(batches.flatMap((batch) => batch.indexes)).toEqual([0, 1, 2, 3, 4, 6, 7]);
    expect(batches.flatMap((batch) => batch.errors.map((error) => error.index))).toEqual([5, 8]);
    // Patch tokens only when asked for: an embed pass fetches the image rows alone.
    expect(batches.every((batch) => batch.patches === undefined)).toBe(true);
    const after = pool.completedPerWorker();
    expect(after.every((count, worker) => count > before[worker])).toBe(true);
  });

  it('stops at the next batch boundary when cancelled', async () => {
    const controller = new AbortController();
    const stream = embedImageFiles(model, paths, { batchSize: 2, pool, signal: controller.signal });
    const first = await stream.next();
    expect(first.done).toBe(false);
    controller.abort();
    await expect(stream.next()).rejects.toThrow(/abort/i);
  });

  it('refuses a pool built for other preprocessing', async () => {
    const other = new PreprocessPool({ ...model.preprocess, width: 32, height: 32 }, { size: 1 });
    try {
      await expect(collect(embedImageFiles(model, paths, { pool: other }))).rejects.toThrow(/another model/);
    } finally {
      await other.close();
    }
  });
});
