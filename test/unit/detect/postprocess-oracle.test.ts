// Detection and segmentation post-processing against Transformers.js on the same fixed (seeded) model outputs:
// OWL-ViT / OWLv2 boxes and scores, SAM's low-res masks mapped back to the image, CLIPSeg's bilinear upsampling.
import { beforeAll, describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../../main/engine/detect/clipseg';
import { owlPostprocess, type OwlVariant } from '../../../main/engine/detect/owl';
import { samGeometry, samMaskFromLogits } from '../../../main/engine/detect/sam';

let T: typeof import('@huggingface/transformers');
beforeAll(async () => {
  T = await import('@huggingface/transformers');
}, 60_000);

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** A smooth logit field with a few blobs, like a mask decoder's output. */
function blobField(h: number, w: number, count: number, rand: () => number): Float32Array {
  const blobs = Array.from({ length: count }, () => ({ x: rand() * w, y: rand() * h, r: 4 + rand() * w * 0.2, a: 4 + rand() * 6 }));
  const out = new Float32Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    let v = -3;
    for (const b of blobs) v += b.a * Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.r * b.r));
    out[y * w + x] = v;
  }
  return out;
}

describe('OWL-ViT / OWLv2 post-processing', () => {
  it.each([['owlvit', 640, 480], ['owlv2', 640, 480], ['owlv2', 300, 500]] as const)('%s on %i×%i: the same boxes and scores as Transformers.js (best query per box)', (variant, width, height) => {
    const rand = seeded(7);
    const N = 300;
    const Q = 3;
    const logits = Float32Array.from({ length: N * Q }, () => -6 + rand() * 8);
    // Boxes that stay inside the image (OWLv2: inside the image part of the padded square), so no clamping applies.
    const side = Math.max(width, height);
    const [fx, fy] = variant === 'owlv2' ? [width / side, height / side] : [1, 1];
    const boxes = new Float32Array(N * 4);
    for (let b = 0; b < N; b++) {
      const w = 0.05 + rand() * 0.3;
      const h = 0.05 + rand() * 0.3;
      boxes.set([(w / 2 + rand() * (1 - w)) * fx, (h / 2 + rand() * (1 - h)) * fy, w * fx, h * fy], b * 4);
    }
    const queries = ['a cat', 'a dog', 'a cup'];
    const ours = owlPostprocess({ logits, boxes, numBoxes: N, numQueries: Q }, variant as OwlVariant, { queries, width, height, threshold: 0.1, nmsIou: 1 });

    const Processor = variant === 'owlv2' ? T.Owlv2ImageProcessor : T.OwlViTImageProcessor;
    const processor = new Processor({});
    // OWLv2's boxes are relative to the padded square, so the target size is that square (as in HF's examples).
    const target: [number, number] = variant === 'owlv2' ? [side, side] : [height, width];
    const [theirs] = processor.post_process_object_detection(
      { logits: new T.Tensor('float32', logits, [1, N, Q]), pred_boxes: new T.Tensor('float32', boxes, [1, N, 4]) },
      0.1, [target], true,
    );
    // Transformers.js (is_zero_shot) returns every query above the threshold for a box; Python's OWL
    // post-processing, and Winnow, keep each box's best query. Compare on that.
    const best = new Map<number, { score: number; box: number[]; cls: number }>();
    let t = 0;
    for (let b = 0; b < N; b++) {
      const rows: number[] = [];
      for (let q = 0; q < Q; q++) if (1 / (1 + Math.exp(-logits[b * Q + q])) > 0.1) rows.push(t++);
      const top = rows.sort((x, y) => theirs.scores[y] - theirs.scores[x])[0];
      if (top !== undefined) best.set(b, { score: theirs.scores[top], box: theirs.boxes[top], cls: theirs.classes[top] });
    }
    expect(t).toBe(theirs.scores.length);
    expect(ours.length).toBe(best.size);
    const expected = [...best.values()].sort((a, b) => b.score - a.score);
    const got = [...ours].sort((a, b) => b.score - a.score);
    got.forEach((d, i) => {
      const e = expected[i];
      expect(d.score).toBeCloseTo(e.score, 6);
      expect(d.queryIndex).toBe(e.cls);
      const [x1, y1, x2, y2] = e.box;
      [x1, y1, x2 - x1, y2 - y1].forEach((v, k) => expect(Math.abs(d.box[k] - v)).toBeLessThanOrEqual(0.006));
    });
  });
});

describe('SAM mask post-processing', () => {
  it.each([[640, 480], [333, 500], [1024, 300]])('%i×%i: the binary mask equals Transformers.js post_process_masks on at least 99.9 percent of pixels', async (width, height) => {
    const rand = seeded(width * 31 + height);
    const low = 256;
    const logits = blobField(low, low, 5, rand);
    const g = samGeometry(width, height, 1024);
    const ours = samMaskFromLogits(logits, 0, low, low, g);

    const processor = new T.SamImageProcessor({ size: { longest_edge: 1024 } });
    const [theirs] = await processor.post_process_masks(new T.Tensor('float32', logits, [1, 1, 1, low, low]), [[height, width]], [[g.resizedHeight, g.resizedWidth]], { pad_size: { height: 1024, width: 1024 } });
    const reference = theirs.data as Uint8Array;
    expect(reference.length).toBe(width * height);
    let same = 0;
    let inside = 0;
    for (let i = 0; i < reference.length; i++) {
      if (reference[i] === ours[i]) same++;
      inside += reference[i];
    }
    expect(inside).toBeGreaterThan(0.01 * width * height);
    // The only differences are single pixels on the mask's border: Winnow samples the two bilinear resizes composed, HF resizes twice.
    console.log(`SAM ${width}×${height}: ${reference.length - same} of ${reference.length} pixels differ`);
    expect(same / reference.length).toBeGreaterThanOrEqual(0.999);
  });
});

describe('CLIPSeg upsampling', () => {
  it('bilinear resize of a 22×22 logit map to the image equals Transformers.js interpolate_4d (align_corners = false)', async () => {
    const rand = seeded(3);
    const map = Float32Array.from({ length: 22 * 22 }, () => rand() * 10 - 5);
    for (const [H, W] of [[480, 640], [352, 352], [37, 53]]) {
      const ours = resizeBilinear(map, 22, 22, H, W);
      const theirs = (await T.interpolate_4d(new T.Tensor('float32', map, [1, 1, 22, 22]), { size: [H, W], mode: 'bilinear' })).data as Float32Array;
      let max = 0;
      for (let i = 0; i < ours.length; i++) max = Math.max(max, Math.abs(ours[i] - theirs[i]));
      expect(max).toBeLessThan(1e-4);
    }
  });
});
