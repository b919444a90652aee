import { describe, expect, it } from 'vitest';
import { clipsegPostprocess, resizeBilinear } from '../../../main/engine/detect/clipseg';
import { denseRegions, gridComponents, patchProbabilities } from '../../../main/engine/detect/dense';
import { boxIou, nms, tensorMapping } from '../../../main/engine/detect/geometry';
import { averagePrecision } from '../../../main/engine/detect/metrics';
import { owlBoxToPixels, owlPostprocess, sigmoid } from '../../../main/engine/detect/owl';
import { decodeRle } from '../../../main/domain/rle';
import type { PreprocessSpec } from '../../../main/engine/vision/preprocess-spec';

const spec = (size: number): PreprocessSpec => ({ resize: { mode: 'shortest-edge', shortestEdge: size }, crop: { width: size, height: size }, width: size, height: size } as unknown as PreprocessSpec);

describe('OWL-ViT / OWLv2 post-processing', () => {
  // 4 boxes × 2 queries on a 200 × 100 image.
  const out = {
    logits: [2, -1, 1.5, -3, -5, 0, -4, -3],
    boxes: [0.5, 0.5, 0.2, 0.4, 0.52, 0.5, 0.2, 0.4, 0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.1, 0.1],
    numBoxes: 4, numQueries: 2,
  };
  const queries = ['red circle', 'blue square'];

  it('converts normalized cx,cy,w,h to pixel xywh (OWL-ViT: per axis; OWLv2: padded square)', () => {
    expect(owlBoxToPixels(0.5, 0.5, 0.2, 0.4, 200, 100, 'owlvit')).toEqual([80, 30, 40, 40]);
    expect(owlBoxToPixels(0.5, 0.5, 0.2, 0.4, 200, 100, 'owlv2')).toEqual([80, 60, 40, 80]);
  });

  it('scores with a sigmoid of the best query, thresholds, and suppresses overlapping same-label boxes', () => {
    const dets = owlPostprocess(out, 'owlvit', { queries, width: 200, height: 100, threshold: 0.1 });
    expect(dets.map((d) => d.label)).toEqual(['red circle', 'blue square']);
    expect(dets[0].score).toBeCloseTo(sigmoid(2), 6);
    expect(dets[0].box).toEqual([80, 30, 40, 40]);
    expect(dets[1].score).toBeCloseTo(0.5, 6);
    expect(dets[1].box).toEqual([10, 5, 20, 10]);
    // Per-query threshold drops the 0.5 box; NMS off keeps the overlapping one.
    expect(owlPostprocess(out, 'owlvit', { queries, width: 200, height: 100, threshold: 0.1, thresholds: { 'blue square': 0.6 }, nmsIou: 1 }).map((d) => d.score.toFixed(4)))
      .toEqual([sigmoid(2).toFixed(4), sigmoid(1.5).toFixed(4)]);
  });

  it('clips boxes to the image', () => {
    const dets = owlPostprocess({ logits: [3], boxes: [0.95, 0.5, 0.2, 0.2], numBoxes: 1, numQueries: 1 }, 'owlvit', { queries: ['x'], width: 200, height: 100, threshold: 0.1 });
    expect(dets[0].box).toEqual([170, 40, 30, 20]);
  });
});

describe('CLIPSeg post-processing', () => {
  it('resizes bilinearly like torch (align_corners = false)', () => {
    expect(Array.from(resizeBilinear([0, 1, 2, 3], 2, 2, 4, 4).subarray(0, 4))).toEqual([0, 0.25, 0.75, 1]);
  });

  it('sigmoid → resize → threshold → RLE, box and mean score', () => {
    const [seg, ...rest] = clipsegPostprocess([10, -10, -10, -10, -10, -10, -10, -10], ['a', 'b'], 2, 2, 4, 4, 0.5);
    expect(rest).toEqual([]);
    expect(seg.label).toBe('a');
    expect(seg.box).toEqual([0, 0, 2, 2]);
    expect(seg.area).toBe(4);
    expect(seg.rle).toEqual({ size: [4, 4], counts: [0, 2, 2, 2, 10] });
    expect(seg.score).toBeCloseTo((1 + 0.75 + 0.75 + 0.5625) / 4, 3);
  });
});

describe('dense patch-map detection', () => {
  it('maps tensor coordinates back through shortest-edge resize + center crop', () => {
    const m = tensorMapping(spec(64), 200, 100); // resized 128×64, crop left 32
    expect(m.toImageX(0)).toBeCloseTo(50);
    expect(m.toImageX(64)).toBeCloseTo(150);
    expect(m.toImageY(64)).toBeCloseTo(100);
    expect(m.toTensorX(m.toImageX(10))).toBeCloseTo(10);
  });

  it('softmaxes patch-query similarities against the background', () => {
    const patches = new Float32Array([1, 0, 0, 1]); // 2 tokens, dim 2
    const texts = new Float32Array([1, 0]);
    const p = patchProbabilities(patches, 2, texts, 1, 2, 10, new Float32Array([0, 1]));
    expect(p[0]).toBeCloseTo(1 / (1 + Math.exp(-10)), 5);
    expect(p[1]).toBeCloseTo(1 / (1 + Math.exp(10)), 5);
  });

  it('lets negative phrases veto a query on patches they match better (without diluting the softmax)', () => {
    const patches = new Float32Array([1, 0, 0, 0, 1, 0]); // 2 tokens, dim 3
    const query = new Float32Array([0.8, 0.6, 0]);
    const bg = new Float32Array([0, 0, 1]);
    const plain = patchProbabilities(patches, 2, query, 1, 3, 10, bg);
    const vetoed = patchProbabilities(patches, 2, query, 1, 3, 10, bg, new Float32Array([0, 1, 0]));
    expect(vetoed[0]).toBeCloseTo(plain[0], 6); // the negative matches token 0 worse than the query: no veto
    expect(vetoed[1]).toBeLessThan(plain[1] * 0.1); // token 1 is the negative's: vetoed
  });

  it('finds 8-connected components, one region per component, with boxes and masks on the image', () => {
    const map = new Float32Array(16).fill(0.1);
    map[1 * 4 + 1] = 0.9; map[1 * 4 + 2] = 0.9; map[2 * 4 + 1] = 0.9; map[3 * 4 + 3] = 0.8;
    expect(gridComponents(map, 4, 4, 0.5).count).toBe(2);
    const regions = denseRegions(map, [4, 4], tensorMapping(spec(32), 32, 32), 32, 32, { threshold: 0.5, segment: true });
    expect(regions.map((r) => r.score)).toEqual([expect.closeTo(0.9, 5), expect.closeTo(0.8, 5)]);
    expect(boxIou(regions[0].box, [8, 8, 16, 16])).toBeGreaterThan(0.6);
    expect(boxIou(regions[1].box, [24, 24, 8, 8])).toBeGreaterThan(0.4);
    const mask = decodeRle(regions[0].rle!);
    expect(mask[12 * 32 + 12]).toBe(1);
    expect(mask[28 * 32 + 28]).toBe(0);
  });

  it('masks use the tighter mask threshold, but a weak region keeps a mask (cut halfway to its peak)', () => {
    const map = new Float32Array(16).fill(0.1);
    map[5] = 0.95; map[6] = 0.7; map[15] = 0.56;
    const [strong, weak] = denseRegions(map, [4, 4], tensorMapping(spec(32), 32, 32), 32, 32, { threshold: 0.5, maskThreshold: 0.8, segment: true });
    const area = (r: typeof strong) => decodeRle(r.rle!).reduce((a, b) => a + b, 0);
    const loose = denseRegions(map, [4, 4], tensorMapping(spec(32), 32, 32), 32, 32, { threshold: 0.5, segment: true });
    expect(area(strong)).toBeLessThan(area(loose[0]));
    expect(strong.box).toEqual(loose[0].box);
    expect(area(weak)).toBeGreaterThan(0);
  });

  it('non-maximum suppression is per label', () => {
    const dets = [
      { label: 'a', score: 0.9, box: [0, 0, 10, 10] as [number, number, number, number] },
      { label: 'a', score: 0.8, box: [1, 1, 10, 10] as [number, number, number, number] },
      { label: 'b', score: 0.7, box: [1, 1, 10, 10] as [number, number, number, number] },
    ];
    expect(nms(dets, 0.5)).toEqual([0, 2]);
  });

  it('computes all-point AP', () => {
    const truths = [{ image: 0, box: [0, 0, 10, 10] as [number, number, number, number] }, { image: 1, box: [0, 0, 10, 10] as [number, number, number, number] }];
    expect(averagePrecision([{ image: 0, box: [0, 0, 10, 10], score: 0.9 }, { image: 1, box: [0, 0, 10, 10], score: 0.8 }], truths)).toBeCloseTo(1);
    // A false positive ranked first, then one hit: precision 0.5 at recall 0.5.
    expect(averagePrecision([{ image: 0, box: [50, 50, 10, 10], score: 0.9 }, { image: 0, box: [0, 0, 10, 10], score: 0.8 }], truths)).toBeCloseTo(0.25);
  });
});
