// The grid's cached thumbnails (media/thumbnail-file.ts) and the embed job's use of them (vision/thumbnail-input.ts)
// follow the file they were made from: a source replaced by another picture whose mtime is older than the thumbnail
// (`cp -p`, `rsync -t`, an unpacked archive) gets a new thumbnail, and the model is never fed the old one.
import { copyFileSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { renderThumbnail, thumbnailPath } from '../../main/engine/media/media';
import { preprocessSpecFromConfig } from '../../main/engine/vision/preprocess-spec';
import { thumbnailInput } from '../../main/engine/vision/thumbnail-input';
import { generateScenes } from '../../main/synthetic/generate';
import { tarBuffer } from '../fixtures/formats';
import { tempDir } from '../fixtures/images';

// A 64-px CLIP spec: an 800×600 original's 320×240 thumbnail covers its resize, so the thumbnail may stand in.
const spec = preprocessSpecFromConfig({ do_resize: true, size: { shortest_edge: 64 }, do_center_crop: true, crop_size: { width: 64, height: 64 }, resample: 3, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] });

const means = async (image: Buffer | string) => (await sharp(image).stats()).channels.slice(0, 3).map((c) => c.mean);
const distance = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

describe('thumbnail freshness', () => {
  it('a source replaced by another picture with an older mtime gets a new thumbnail, and the model never sees the old one', async () => {
    process.env.WINNOW_HOME = await tempDir();
    process.env.WINNOW_INPUT_CACHE = '0'; // no input pass behind the import: only the thumbnail is under test
    onTestFinished(() => {
      delete process.env.WINNOW_INPUT_CACHE;
    });
    const data = await tempDir();
    const [first, second] = await Promise.all([1, 2].map(async (k) => (await generateScenes(1, { seed: `fresh-${k}`, width: 800, height: 600 }))[0].jpeg));
    const file = path.join(data, 'photo.jpg');
    writeFileSync(file, first);
    const engine = new Engine('cli');
    onTestFinished(() => engine.close());
    const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    const [item] = project.items.page(0, 10);
    const original = { width: item.width, height: item.height };
    // Ground truth: each picture's thumbnail rendered afresh, and they differ, or the checks below could not fail.
    const [expectFirst, expectSecond] = await Promise.all([first, second].map(async (bytes) => means(await renderThumbnail(sharp(bytes).rotate()))));
    expect(distance(expectFirst, expectSecond)).toBeGreaterThan(10);

    // The grid shows the item: its thumbnail is made, and it may stand in for the original.
    expect(distance(await means((await engine.getMedia('thumb', item.id)).body), expectFirst)).toBeLessThan(1);
    const thumb = thumbnailPath(project.thumbsDir, item.id);
    expect(thumbnailInput(project.thumbsDir, item.id, file, original, spec)).toBe(thumb);

    // Replaced by another picture carrying an mtime an hour older than the thumbnail.
    writeFileSync(file, second);
    const older = new Date(statSync(thumb).mtimeMs - 3_600_000);
    utimesSync(file, older, older);
    expect(thumbnailInput(project.thumbsDir, item.id, file, original, spec)).toBeNull();
    const served = (await engine.getMedia('thumb', item.id)).body;
    expect(distance(await means(served), expectSecond)).toBeLessThan(1);
    // The new thumbnail replaced the old one in place, and is what the embed job may now decode.
    expect(thumbnailInput(project.thumbsDir, item.id, file, original, spec)).toBe(thumb);
    expect(distance(await means(thumb), expectSecond)).toBeLessThan(1);
    // Served from the cache while the file stays as it is: the thumbnail is not made again.
    const made = statSync(thumb, { bigint: true }).mtimeNs;
    expect((await engine.getMedia('thumb', item.id)).body.equals(served)).toBe(true);
    expect(statSync(thumb, { bigint: true }).mtimeNs).toBe(made);
  });

  it('a thumbnail made before the source stamp (a plain WebP) is made again once', async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    const [scene] = await generateScenes(1, { seed: 'legacy', width: 640, height: 480 });
    writeFileSync(path.join(data, 'photo.jpg'), scene.jpeg);
    const engine = new Engine('cli');
    onTestFinished(() => engine.close());
    const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    const [item] = project.items.page(0, 10);
    const thumb = thumbnailPath(project.thumbsDir, item.id);
    await engine.getMedia('thumb', item.id);
    // What the code before the stamp left: a bare WebP (here of another picture), newer than its source.
    const legacy = await renderThumbnail(sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 250, g: 0, b: 0 } } }));
    writeFileSync(thumb, legacy);
    const served = (await engine.getMedia('thumb', item.id)).body;
    expect(distance(await means(served), await means(await renderThumbnail(sharp(scene.jpeg).rotate())))).toBeLessThan(1);
    expect(readFileSync(thumb).subarray(0, served.length).equals(served)).toBe(true);
    expect(readFileSync(thumb).length).toBeGreaterThan(served.length); // stamped now
  });

  it('a tar member follows its shard: the shard replaced by another with an older mtime gets new thumbnails', async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    const pictures = await Promise.all([1, 2].map(async (k) => (await generateScenes(1, { seed: `shard-${k}`, width: 640, height: 480 }))[0].jpeg));
    // Padded to one length after the JPEG's end, so both shards put the member at the byte range the import recorded.
    const length = Math.max(...pictures.map((p) => p.length));
    const [first, second] = pictures.map((p) => Buffer.concat([p, Buffer.alloc(length - p.length)]));
    const shard = path.join(data, '00000.tar');
    writeFileSync(shard, await tarBuffer([{ name: '000000000.jpg', data: first }]));
    const engine = new Engine('cli');
    onTestFinished(() => engine.close());
    const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    const [item] = project.items.page(0, 10);
    expect(item.uri).toBe(`${shard}#000000000.jpg`);
    const [expectFirst, expectSecond] = await Promise.all([first, second].map(async (bytes) => means(await renderThumbnail(sharp(bytes).rotate()))));
    expect(distance(expectFirst, expectSecond)).toBeGreaterThan(10);
    expect(distance(await means((await engine.getMedia('thumb', item.id)).body), expectFirst)).toBeLessThan(1);

    writeFileSync(shard, await tarBuffer([{ name: '000000000.jpg', data: second }]));
    const older = new Date(statSync(thumbnailPath(project.thumbsDir, item.id)).mtimeMs - 3_600_000);
    utimesSync(shard, older, older);
    expect(distance(await means((await engine.getMedia('thumb', item.id)).body), expectSecond)).toBeLessThan(1);
  });

  it('a source that is offline keeps the thumbnail it had, and an unknown item gets none', async () => {
    process.env.WINNOW_HOME = await tempDir();
    const data = await tempDir();
    const [scene] = await generateScenes(1, { seed: 'offline', width: 640, height: 480 });
    const file = path.join(data, 'photo.jpg');
    writeFileSync(file, scene.jpeg);
    const engine = new Engine('cli');
    onTestFinished(() => engine.close());
    const project = await engine.createProject(path.join(process.env.WINNOW_HOME, 'p'));
    await project.jobs.wait((await engine.addSource(data)).jobId);
    const [item] = project.items.page(0, 10);
    const shown = (await engine.getMedia('thumb', item.id)).body;
    const thumb = thumbnailPath(project.thumbsDir, item.id);
    const made = statSync(thumb, { bigint: true }).mtimeNs;

    // The drive is unplugged: the file is gone, not replaced. After the media service's resolver has lapsed (1 s),
    // the grid still shows what it showed, untouched; the full image reports the missing file.
    rmSync(file);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await engine.getMedia('thumb', item.id)).body.equals(shown)).toBe(true);
    expect(statSync(thumb, { bigint: true }).mtimeNs).toBe(made);
    await expect(engine.getMedia('image', item.id)).rejects.toThrow(/missing/);
    // A thumbnail file left for an id no item has is never served.
    const stray = thumbnailPath(project.thumbsDir, item.id + 1);
    copyFileSync(thumb, stray);
    await expect(engine.getMedia('thumb', item.id + 1)).rejects.toThrow(/no item/);
  });
});
