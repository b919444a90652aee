import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { generateScenes } from '../../../main/synthetic/generate';
import { decodeRle, maskBbox } from '../../../main/domain/rle';
import { boxIou } from '../../../main/domain/rle';
import { isHeldOut, loadVocabulary } from '../../../main/synthetic/vocabulary';

const vocab = loadVocabulary();

describe('generateScenes', () => {
  it('is deterministic per seed, and a different seed gives different images', async () => {
    const a = await generateScenes(6, { seed: 'det', width: 96, height: 80 });
    const b = await generateScenes(6, { seed: 'det', width: 96, height: 80 });
    const c = await generateScenes(6, { seed: 'det2', width: 96, height: 80 });
    for (let i = 0; i < a.length; i++) {
      expect(a[i].jpeg.equals(b[i].jpeg)).toBe(true);
      expect(a[i].rgb.equals(b[i].rgb)).toBe(true);
      expect(a[i].caption).toBe(b[i].caption);
    }
    expect(a.some((s, i) => !s.jpeg.equals(c[i].jpeg))).toBe(true);
    // Scene i depends only on (seed, i).
    const prefix = await generateScenes(3, { seed: 'det', width: 96, height: 80 });
    expect(prefix.map((s) => s.caption)).toEqual(a.slice(0, 3).map((s) => s.caption));
  });

  it('keeps objects inside the image, apart (box IoU), sized and coloured per the vocabulary', async () => {
    const scenes = await generateScenes(40, { seed: 'geometry', width: 160, height: 120, encode: false });
    for (const scene of scenes) {
      const { objects, spec } = scene;
      expect(objects.length).toBeGreaterThanOrEqual(vocab.objects_per_scene[0]);
      expect(objects.length).toBeLessThanOrEqual(vocab.objects_per_scene[1]);
      for (let k = 0; k < objects.length; k++) {
        const [x, y, w, h] = objects[k].box;
        expect(x).toBeGreaterThanOrEqual(-0.01);
        expect(y).toBeGreaterThanOrEqual(-0.01);
        expect(x + w).toBeLessThanOrEqual(160.01);
        expect(y + h).toBeLessThanOrEqual(120.01);
        const [lo, hi] = vocab.sizes[objects[k].size];
        expect(spec.objects[k].radius / 120).toBeGreaterThanOrEqual(lo);
        expect(spec.objects[k].radius / 120).toBeLessThanOrEqual(hi);
        const base = vocab.colors[objects[k].color];
        objects[k].rgb.forEach((v, ch) => expect(Math.abs(v - base[ch])).toBeLessThanOrEqual(vocab.color_jitter));
        if (!vocab.shapes[objects[k].shape].rotates) expect(spec.objects[k].rotationDeg).toBe(0);
        expect(Math.abs(spec.objects[k].rotationDeg)).toBeLessThanOrEqual(vocab.max_rotation_degrees);
        for (let j = 0; j < k; j++) expect(boxIou(objects[j].box, objects[k].box)).toBeLessThanOrEqual(vocab.max_overlap_iou);
        expect(scene.caption).toContain(`${objects[k].color} ${objects[k].shape}`);
      }
    }
  });

  it('gives masks whose bbox matches the box, boxes that hug the polygon, and RLE that decodes to the mask', async () => {
    const scenes = await generateScenes(30, { seed: 'masks', width: 128, height: 128, encode: false });
    let checked = 0;
    for (const scene of scenes) {
      scene.objects.forEach((obj, k) => {
        expect(Buffer.from(decodeRle(obj.rle)).equals(Buffer.from(obj.mask))).toBe(true);
        expect(obj.rle.size).toEqual([128, 128]);
        expect(obj.area).toBe(obj.mask.reduce((a, b) => a + b, 0));
        const bbox = maskBbox(obj.mask, 128, 128)!;
        expect(bbox).not.toBeNull();
        const [bx, by, bw, bh] = obj.box;
        if (obj.occluded) {
          // Visible pixels of a partly hidden object stay inside its box.
          expect(bbox[0]).toBeGreaterThanOrEqual(bx);
          expect(bbox[1]).toBeGreaterThanOrEqual(by);
          expect(bbox[0] + bbox[2]).toBeLessThanOrEqual(bx + bw);
          expect(bbox[1] + bbox[3]).toBeLessThanOrEqual(by + bh);
          return;
        }
        obj.box.forEach((v, i) => expect(Math.abs(v - bbox[i])).toBeLessThanOrEqual(1));
        // Edges of the pixel box lie within 2 px of the exact polygon extent (sharp tips lose < 2 px).
        const [px, py, pw, ph] = scene.spec.objects[k].box;
        const edges = [bx - px, by - py, bx + bw - (px + pw), by + bh - (py + ph)];
        edges.forEach((e) => expect(Math.abs(e)).toBeLessThan(2));
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('paints mask pixels with the object colour in the raw render and (roughly) in the JPEG', async () => {
    const scenes = await generateScenes(12, { seed: 'colour', width: 128, height: 96 });
    for (const scene of scenes) {
      const { width, height } = scene;
      const decoded = await sharp(scene.jpeg).raw().toBuffer();
      for (const obj of scene.objects) {
        // Interior = mask pixels whose 4 neighbours are in the mask too: fully covered, exact colour.
        let interior = 0;
        let exact = 0;
        let jpegError = 0;
        for (let y = 1; y < height - 1; y++) {
          for (let x = 1; x < width - 1; x++) {
            const i = y * width + x;
            if (!(obj.mask[i] && obj.mask[i - 1] && obj.mask[i + 1] && obj.mask[i - width] && obj.mask[i + width])) continue;
            interior++;
            const o = i * 3;
            if (scene.rgb[o] === obj.rgb[0] && scene.rgb[o + 1] === obj.rgb[1] && scene.rgb[o + 2] === obj.rgb[2]) exact++;
            jpegError += Math.abs(decoded[o] - obj.rgb[0]) + Math.abs(decoded[o + 1] - obj.rgb[1]) + Math.abs(decoded[o + 2] - obj.rgb[2]);
          }
        }
        if (interior === 0) continue;
        expect(exact / interior).toBeGreaterThan(0.97);
        expect(jpegError / interior / 3).toBeLessThan(20);
      }
    }
  });

  it('excludes or restricts to the held-out colour-shape pairs', async () => {
    const excluded = await generateScenes(40, { seed: 'held', width: 64, height: 64, heldOut: 'exclude', encode: false });
    const only = await generateScenes(20, { seed: 'held', width: 64, height: 64, heldOut: 'only', encode: false });
    const all = excluded.flatMap((s) => s.objects);
    expect(all.length).toBeGreaterThan(40);
    expect(all.every((o) => !o.heldOut && !isHeldOut(vocab, o.color, o.shape))).toBe(true);
    const held = only.flatMap((s) => s.objects);
    expect(held.every((o) => o.heldOut && isHeldOut(vocab, o.color, o.shape))).toBe(true);
  });

  it('honours single-object scenes, forced classes and any aspect ratio', async () => {
    const single = await generateScenes(15, { seed: 'one', width: 300, height: 60, singleObject: true, encode: false });
    expect(single.every((s) => s.objects.length === 1 && s.rgb.length === 300 * 60 * 3)).toBe(true);
    const forced = await generateScenes(5, {
      seed: 'forced',
      width: 200,
      height: 150,
      objects: [{ color: 'red', shape: 'star', size: 'large' }, { shape: 'circle' }],
      encode: false,
    });
    for (const s of forced) {
      expect(s.objects.map((o) => [o.color, o.shape, o.size])).toEqual([['red', 'star', 'large'], [s.objects[1].color, 'circle', s.objects[1].size]]);
    }
    await expect(generateScenes(1, { seed: 1, width: 64, height: 64, heldOut: 'exclude', objects: [{ color: 'red', shape: 'star' }] })).rejects.toThrow();
    await expect(generateScenes(1, { seed: 1, width: 64, height: 64, objects: [{ color: 'mauve' }] })).rejects.toThrow(/unknown color/);
  });
});
