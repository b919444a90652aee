// "Refine with SAM" end to end on real ONNX sessions: a Segment Anything export is discovered among the
// installed models, a loose box on a generated non-square scene becomes a mask matching the ground truth
// (so resizing, padding, prompt coordinates and mask post-processing line up), and the edit is undoable.
// The graphs are a stand-in with SAM's exact inputs and outputs (test/fixtures/sam-standin/make_standin.py):
// no real SAM weights can be fetched here.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatch, type Dispatch } from '../../../main/api/handlers';
import { Engine } from '../../../main/engine/engine';
import { decodeRle } from '../../../main/domain/rle';
import type { Project } from '../../../main/engine/project';
import { type GeneratedScene, generateScenes } from '../../../main/synthetic';
import { maskIou } from '../../../models/evaluation/metrics';
import { tempDir } from '../../fixtures/images';

const STANDIN = path.join(__dirname, '..', '..', 'fixtures', 'sam-standin');
let engine: Engine;
let project: Project;
let call: Dispatch;
let scenes: GeneratedScene[];
const itemOf = new Map<number, number>();

type Edited = { annotations: { id: number; kind: string; bbox: [number, number, number, number]; rle: { size: [number, number]; counts: string } | null; params: Record<string, unknown> | null }[] };

beforeAll(async () => {
  process.env.WINNOW_HOME = await tempDir();
  const data = await tempDir();
  scenes = await generateScenes(3, { seed: 'sam-refine', width: 180, height: 120, objects: [{ color: 'red' }, { color: 'blue' }] });
  await Promise.all(scenes.map((s) => writeFile(path.join(data, `s${s.index}.jpg`), s.jpeg)));
  engine = new Engine('cli');
  project = await engine.createProject(path.join(process.env.WINNOW_HOME!, 'p'));
  call = createDispatch(engine);
  await project.jobs.wait((await engine.addSource(data)).jobId);
  for (const it of project.items.page(0, 10)) itemOf.set(Number(/s(\d+)\./.exec(it.key)![1]), it.id);
});

afterAll(async () => {
  await engine?.close();
});

function centroidOffset(a: Uint8Array, b: Uint8Array, width: number): number {
  const centroid = (m: Uint8Array) => {
    let sx = 0, sy = 0, n = 0;
    for (let i = 0; i < m.length; i++) if (m[i]) { sx += i % width; sy += Math.floor(i / width); n++; }
    return [sx / n, sy / n];
  };
  const [ax, ay] = centroid(a);
  const [bx, by] = centroid(b);
  return Math.hypot(ax - bx, ay - by);
}

async function looseBox(scene: GeneratedScene, k: number) {
  const [x, y, w, h] = scene.objects[k].box;
  const x0 = Math.max(0, x - 4);
  const y0 = Math.max(0, y - 3);
  const bbox = [x0, y0, Math.min(scene.width, x + w + 4) - x0, Math.min(scene.height, y + h + 3) - y0];
  const added = (await call('review.add', { itemId: itemOf.get(scene.index)!, label: 'thing', bbox })) as Edited;
  return added.annotations[0].id;
}

describe('review.refine (Segment Anything)', () => {
  it('says how to get a SAM model when none is installed', async () => {
    const id = await looseBox(scenes[0], 0);
    await expect(call('review.refine', { id })).rejects.toThrow(/Segment Anything model: download one under Models \(SlimSAM/);
  });

  it('turns a loose box into a mask of the object, on real ONNX sessions, and undoes', async () => {
    await engine.models.import(STANDIN, { id: 'sam-standin', task: 'mask-generation' });
    const ious: number[] = [];
    const offsets: number[] = [];
    for (const scene of scenes) {
      for (let k = 0; k < scene.objects.length; k++) {
        const o = scene.objects[k];
        if (o.occluded) continue;
        const id = await looseBox(scene, k);
        const res = (await call('review.refine', { id })) as Edited;
        const a = res.annotations[0];
        expect(a.kind).toBe('mask');
        expect(a.params).toMatchObject({ refinedWith: 'sam-standin' });
        expect(a.rle!.size).toEqual([scene.height, scene.width]);
        ious.push(maskIou(decodeRle(a.rle as never), o.mask));
        offsets.push(centroidOffset(decodeRle(a.rle as never), o.mask, scene.width));
      }
    }
    console.log('SAM stand-in refine IoU', ious.map((v) => v.toFixed(3)).join(' '), 'centroid offsets (px)', offsets.map((v) => v.toFixed(2)).join(' '));
    expect(ious.length).toBeGreaterThanOrEqual(4);
    // The stand-in sees the image through SAM's 64×64 embedding grid (~3 px of these images per cell), so
    // edges are soft; misplaced coordinates would move the mask, which the centroid check catches.
    expect(ious.reduce((a, b) => a + b, 0) / ious.length).toBeGreaterThan(0.8);
    expect(Math.min(...ious)).toBeGreaterThan(0.65);
    expect(Math.max(...offsets)).toBeLessThan(1.5);

    const undone = (await call('review.undo', {})) as { action: string | null };
    expect(undone.action).toBe('refine');
    const last = project.db.prepare('SELECT kind, rle FROM annotations ORDER BY id DESC LIMIT 1').get() as { kind: string; rle: string | null };
    expect(last).toEqual({ kind: 'box', rle: null });
  });

  it('with an extra click the mask still stays inside the box grown by 10%', async () => {
    const scene = scenes[1];
    const id = await looseBox(scene, 0);
    const [x, y, w, h] = scene.objects[0].box;
    const res = (await call('review.refine', { id, points: [{ x: x + w / 2, y: y + h / 2, label: 1 }] })) as Edited;
    const mask = decodeRle(res.annotations[0].rle as never);
    for (let yy = 0; yy < scene.height; yy++) {
      for (let xx = 0; xx < scene.width; xx++) {
        if (!mask[yy * scene.width + xx]) continue;
        expect(xx).toBeGreaterThanOrEqual(Math.floor(x - 4 - (w + 8) * 0.1) - 1);
        expect(xx).toBeLessThanOrEqual(Math.ceil(x + w + 4 + (w + 8) * 0.1) + 1);
      }
    }
  });
});
