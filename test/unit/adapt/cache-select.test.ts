// Tip-Adapter logits against a direct transcription of the paper's formula, the cross-validated
// choice on planted problems (a text classifier with two classes' prompts swapped must be beaten by
// adaptation; a correct one must not be replaced by something worse), and the ONNX head computing
// exactly what the TypeScript classifier computes.
import { describe, expect, it } from 'vitest';
import { buildCache } from '../../../main/engine/adapt/cache';
import { type Classifier, type Examples, logitsOf, predictProbs, rank, zeroShotClassifier } from '../../../main/engine/adapt/classifier';
import { classifierToOnnx, OnnxHead } from '../../../main/engine/adapt/onnx-head';
import { blendProbe, fitProbe } from '../../../main/engine/adapt/probe';
import { adaptClassifier, assignFolds } from '../../../main/engine/adapt/select';
import { chooseForReview } from '../../../main/engine/adapt/active';
import { mulberry32 } from '../../../main/engine/curate/kmeans';

const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };

/** Clustered unit vectors: class k lives around its own random direction. */
function clusters(seed: number, perClass: number, classes: number, dim: number, spread = 0.35) {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  const centers = Array.from({ length: classes }, () => unit(Array.from({ length: dim }, gauss)));
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < perClass * classes; i++) {
    const k = i % classes;
    x.push(...unit(centers[k].map((c) => c + spread * gauss() / Math.sqrt(dim) * 3)));
    y.push(k);
  }
  return { centers, x: Float32Array.from(x), y: Int32Array.from(y) };
}

const examples = (x: Float32Array, y: Int32Array, dim: number): Examples => ({ dim, x, target: y, rejected: Array.from(y, () => []) });

function accuracy(c: Classifier, x: Float32Array, y: Int32Array): number {
  const p = predictProbs(c, x);
  return [...y].filter((t, i) => rank(p, i * c.classes, c.classes).top === t).length / y.length;
}

describe('Tip-Adapter cache', () => {
  it('adds α·exp(−β(1 − cos)) of each key to its label and subtracts it from rejected classes', () => {
    const dim = 3;
    const base = zeroShotClassifier(Float32Array.from([...unit([1, 0, 0]), ...unit([0, 1, 0]), ...unit([0, 0, 1])]), dim, 10);
    const keys = [unit([1, 1, 0]), unit([0, 1, 1]), unit([1, 0, 1])];
    const e: Examples = { dim, x: Float32Array.from(keys.flat()), target: Int32Array.from([2, 0, -1]), rejected: [[], [1], [0]] };
    const c = buildCache(base, e, 1.5, 4);
    const q = unit([0.2, 0.7, 0.4]);
    const got = logitsOf(c, Float32Array.from(q), new Float64Array(3));
    const expected = [0, 1, 2].map((k) => 10 * q[k]);
    keys.forEach((key, i) => {
      const a = 1.5 * Math.exp(-4 * (1 - (key[0] * q[0] + key[1] * q[1] + key[2] * q[2])));
      if (e.target[i] >= 0) expected[e.target[i]] += a;
      for (const r of e.rejected[i]) expected[r] -= a;
    });
    got.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
  });
});

describe('cross-validated choice', () => {
  const dim = 16, C = 4;
  const train = clusters(3, 12, C, dim);
  const test = clusters(3, 60, C, dim);

  it('beats a text classifier whose prompts for two classes are swapped', () => {
    const swapped = [...train.centers];
    [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
    const base = zeroShotClassifier(Float32Array.from(swapped.flat()), dim, 20);
    const before = accuracy(base, test.x, test.y);
    const adapted = adaptClassifier(base, examples(train.x, train.y, dim), { seed: 5 });
    expect(adapted.chosen.method).not.toBe('zero-shot');
    expect(adapted.chosen.accuracy).toBeGreaterThan(adapted.zeroShot.accuracy + 0.3);
    expect(before).toBeLessThan(0.6);
    expect(accuracy(adapted.classifier, test.x, test.y)).toBeGreaterThan(0.95);
    // Every labelled example is held out exactly once across the folds.
    const { fold, folds } = assignFolds(examples(train.x, train.y, dim), 5, 5);
    expect(folds).toBe(5);
    expect(new Set(fold).size).toBe(5);
    expect(adapted.candidates.find((c) => c.method === 'zero-shot')!.accuracy).toBeCloseTo(accuracy(base, train.x, train.y), 10);
  });

  it('keeps an accurate text classifier accurate', () => {
    const base = zeroShotClassifier(Float32Array.from(train.centers.flat()), dim, 20);
    const adapted = adaptClassifier(base, examples(train.x, train.y, dim), { seed: 5 });
    expect(adapted.chosen.accuracy).toBeGreaterThanOrEqual(adapted.zeroShot.accuracy);
    expect(accuracy(adapted.classifier, test.x, test.y)).toBeGreaterThanOrEqual(accuracy(base, test.x, test.y) - 0.02);
  });
});

describe('ONNX head', () => {
  it('computes the probabilities of the TypeScript classifier for a probe and a cache head', async () => {
    const dim = 16, C = 4;
    const data = clusters(9, 10, C, dim);
    const base = zeroShotClassifier(Float32Array.from(data.centers.flat()), dim, 20);
    const e = { ...examples(data.x, data.y, dim), rejected: Array.from(data.y, (t, i) => (i % 5 === 0 ? [(t + 1) % C] : [])) };
    const heads = [blendProbe(base, fitProbe(base, e, { lambda: 0.01 }), 0.75), buildCache(base, e, 2, 6)];
    for (const c of heads) {
      const head = await OnnxHead.load(classifierToOnnx(c));
      expect([head.dim, head.classes]).toEqual([dim, C]);
      const got = await head.probs(data.x);
      const want = predictProbs(c, data.x);
      for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
      await head.dispose();
    }
  });

  it('refuses an ONNX model that is not a classifier head', async () => {
    const bytes = classifierToOnnx(zeroShotClassifier(new Float32Array(8).fill(0.5), 4, 1));
    // Rename the input (same length, so the protobuf stays valid): the loader must say what is wrong.
    const text = Buffer.from(bytes).toString('latin1').replaceAll('image_embeds', 'pixel_values');
    await expect(OnnxHead.load(Buffer.from(text, 'latin1'))).rejects.toThrow(/not a Winnow classifier head/);
  });
});

describe('active orders', () => {
  it('orders by confidence, by margin, and spreads the diverse pick over distinct clusters', () => {
    const confidence = [0.9, 0.3, 0.5, 0.31];
    const margin = [0.8, 0.2, 0.05, 0.1];
    expect(chooseForReview('uncertainty', { confidence, margin }, 2)).toEqual([1, 3]);
    expect(chooseForReview('margin', { confidence, margin }, 3)).toEqual([2, 3, 1]);
    const random = chooseForReview('random', { confidence, margin }, 4, { seed: 3 });
    expect([...random].sort()).toEqual([0, 1, 2, 3]);
    // Items 0-2 are near-copies, item 3 is elsewhere; all equally uncertain: the diverse pick of 2 takes one copy and item 3.
    const x = Float32Array.from([...unit([1, 0]), ...unit([1, 0.01]), ...unit([1, 0.02]), ...unit([0, 1])]);
    const picks = chooseForReview('diverse', { confidence: [0.3, 0.3, 0.3, 0.3], margin: [0.1, 0.1, 0.1, 0.1], x, dim: 2 }, 2);
    expect(picks).toContain(3);
    expect(chooseForReview('margin', { confidence: [0.3, 0.3, 0.3, 0.3], margin: [0.1, 0.1, 0.1, 0.1] }, 2)).not.toContain(3);
  });
});
