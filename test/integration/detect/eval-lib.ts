// Box AP@0.5 and mask IoU of a detector on generated 2-object scenes ("{color} {shape}" per GT object).
import { decodeRle } from '../../../main/domain/rle';
import type { Detector } from '../../../main/engine/detect/detector';
import { averagePrecision, maskIou, type ScoredBox, type TruthBox } from '../../../main/engine/detect/metrics';
import { generateScenes } from '../../../main/synthetic';

export interface EvalResult {
  scenes: number;
  /** Per shape (pooled over colors). */
  perClass: Record<string, { ap: number; maskIou: number; objects: number }>;
  mAP: number;
  meanMaskIou: number;
}

export async function evaluate(detector: Detector, n: number, options: { threshold: number; maskThreshold?: number; seed?: string; size?: number; height?: number; negatives?: boolean }): Promise<EvalResult> {
  const side = options.size ?? 128;
  const scenes = await generateScenes(n, { seed: options.seed ?? 'detect-eval', width: side, height: options.height ?? side, objects: [{}, {}] });
  const dets = new Map<string, ScoredBox[]>();
  const truths = new Map<string, TruthBox[]>();
  const ious = new Map<string, number[]>();
  const shapeOf = (label: string) => label.split(' ').at(-1)!;
  for (let i = 0; i < scenes.length; i += 16) {
    const batch = scenes.slice(i, i + 16);
    for (const [k, scene] of batch.entries()) {
      const queries = [...new Set(scene.objects.map((o) => `${o.color} ${o.shape}`))];
      const [proposals] = await detector.detect([{ input: scene.jpeg }], { queries, threshold: options.threshold, maskThreshold: options.maskThreshold, segment: true, negatives: options.negatives });
      const image = i + k;
      for (const p of proposals) {
        const s = shapeOf(p.label);
        dets.set(s, [...(dets.get(s) ?? []), { image: image * 100 + queries.indexOf(p.label), box: p.box, score: p.score }]);
      }
      for (const o of scene.objects) {
        const label = `${o.color} ${o.shape}`;
        const s = o.shape;
        truths.set(s, [...(truths.get(s) ?? []), { image: image * 100 + queries.indexOf(label), box: o.box }]);
        const best = proposals.filter((p) => p.label === label).sort((a, b) => b.score - a.score)[0];
        ious.set(s, [...(ious.get(s) ?? []), best?.rle ? maskIou(decodeRle(best.rle), o.mask) : 0]);
      }
    }
  }
  const perClass: EvalResult['perClass'] = {};
  for (const [s, t] of [...truths.entries()].sort()) {
    const list = ious.get(s) ?? [];
    perClass[s] = { ap: averagePrecision(dets.get(s) ?? [], t, 0.5), maskIou: list.reduce((a, b) => a + b, 0) / list.length, objects: t.length };
  }
  const vals = Object.values(perClass);
  return { scenes: n, perClass, mAP: vals.reduce((a, v) => a + v.ap, 0) / vals.length, meanMaskIou: vals.reduce((a, v) => a + v.maskIou, 0) / vals.length };
}
