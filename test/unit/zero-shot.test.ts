import { describe, expect, it } from 'vitest';
import { scoreMulti, scoreSingle } from '../../main/engine/curate/label-job';
import { classEmbeddings, classPrompts, conceptSlug, CosineHistogram, fillTemplate, parseClassList, sigmoidProb, softmax, topK } from '../../main/engine/curate/zero-shot';
import { SIGNAL_NAME_RE } from '../../main/api/methods/curation';

describe('zero-shot math', () => {
  it('parses class lists with synonyms, comma lists, comments and duplicates', () => {
    expect(parseClassList('cat\ndog: puppy, hound | pup\n# comment\n\ncat\n')).toEqual([{ name: 'cat' }, { name: 'dog', synonyms: ['puppy', 'hound', 'pup'] }]);
    expect(parseClassList(' a, b ,c,', { commaSeparated: true })).toEqual([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
  });

  it('fills templates (CLIP {} style, {label}, or appended) and ensembles names × templates + description', () => {
    expect(fillTemplate('a photo of a {}.', 'red star')).toBe('a photo of a red star.');
    expect(fillTemplate('{label} close-up', 'dog')).toBe('dog close-up');
    expect(fillTemplate('a photo of', 'dog')).toBe('a photo of dog');
    expect(classPrompts({ name: 'dog', synonyms: ['puppy'], description: 'a small domestic canine' }, ['a {}', 'the {}'])).toEqual(['a dog', 'a puppy', 'the dog', 'the puppy', 'a small domestic canine']);
  });

  it('averages prompt embeddings per class and L2-normalizes', async () => {
    // Fake 2-d text encoder: "x" words point along x, others along y.
    const embed = async (texts: readonly string[]) => Float32Array.from(texts.flatMap((t) => (t.includes('x') ? [1, 0] : [0, 1])));
    const m = await classEmbeddings(embed, 2, [{ name: 'x' }, { name: 'y', synonyms: ['x'] }], ['{}']);
    expect(Array.from(m.subarray(0, 2))).toEqual([1, 0]);
    expect(m[2]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(m[3]).toBeCloseTo(Math.SQRT1_2, 6);
  });

  it('softmax over scaled cosines, sigmoid(s·(cos − t)), top-k', () => {
    const p = softmax(Float32Array.from([0.3, 0.1, 0.2]), 100);
    expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(topK(p, 2)).toEqual([0, 2]);
    expect(sigmoidProb(0.25, 50, 0.25)).toBeCloseTo(0.5, 12);
    expect(sigmoidProb(0.35, 50, 0.25)).toBeGreaterThan(0.99);
  });

  it('single-label: confidence, margin and uncertain; multi-label: classes over their thresholds', () => {
    const cos = Float32Array.from([0.3, 0.1, 0.29]);
    const single = scoreSingle(cos, 100, { k: 2, threshold: 0.9 });
    expect(single.labels.map((l) => l.index)).toEqual([0, 2]);
    expect(single.margin).toBeCloseTo(single.labels[0].prob - single.labels[1].prob, 5);
    expect(single.uncertain).toBe(true);
    expect(scoreSingle(cos, 100, { k: 1, threshold: 0.5 }).uncertain).toBe(false);
    const multi = scoreMulti(cos, 100, [0.2, 0.2, 0.2], { k: 5, threshold: 0.5 });
    expect(multi.labels.map((l) => l.index)).toEqual([0, 2]);
    expect(scoreMulti(cos, 100, [0.5, 0.5, 0.5], { k: 5, threshold: 0.5 }).uncertain).toBe(true);
  });

  it('the minimum-error cut finds a small "present" group that Otsu misses', () => {
    let seed = 1;
    const r = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const g = () => Math.sqrt(-2 * Math.log(r())) * Math.cos(2 * Math.PI * r());
    const h = new CosineHistogram();
    for (let i = 0; i < 3000; i++) h.add(r() < 0.03 ? 0.45 + 0.06 * g() : 0.15 + 0.07 * g());
    expect(h.minError()).toBeGreaterThan(0.3);
    expect(h.minError()).toBeLessThan(0.42);
    expect(h.otsu()).toBeLessThan(0.25);
  });

  it("Otsu's cut separates two cosine clusters", () => {
    const h = new CosineHistogram();
    for (let i = 0; i < 900; i++) h.add(0.05 + (i % 10) * 0.005);
    for (let i = 0; i < 100; i++) h.add(0.4 + (i % 10) * 0.005);
    const t = h.otsu();
    expect(t).toBeGreaterThan(0.1);
    expect(t).toBeLessThan(0.4);
  });

  it('concept slugs are valid signal names', () => {
    expect(conceptSlug('A screenshot with text!')).toBe('a_screenshot_with_text');
    expect(SIGNAL_NAME_RE.test(`concept.${conceptSlug('nsfw')}`)).toBe(true);
    expect(SIGNAL_NAME_RE.test(`concept.${conceptSlug('日本語')}`)).toBe(true);
  });
});
