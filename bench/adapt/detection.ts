// Regions: per-class detection thresholds learnt from reviewed proposals. The built-in model's dense
// detector runs on generated multi-object scenes; a simulated curator accepts a proposal that matches an
// object of its class (IoU ≥ 0.5) and rejects the rest on the first half of the scenes; the cuts chosen
// from those reviews are applied to the second half: rejected proposals per accepted one, before and after.
// Then the region cache: every proposal's crop embedded by the image tower, a Tip-Adapter cache over the
// reviewed ones blended into the scores, with the cut the cross-validation picks (region-cache.ts).
import { bestCut, type ScoredReview } from '../../main/engine/adapt/regions';
import { adaptedRegionScore, fitRegionCache, passesCut } from '../../main/engine/adapt/region-cache';
import { embedRegions } from '../../main/engine/adapt/region-embed';
import { DEFAULT_THRESHOLD, DenseClipDetector, type Proposal } from '../../main/engine/detect/detector';
import { boxIou } from '../../main/engine/detect/geometry';
import { ClipModel } from '../../main/engine/vision/clip-model';
import { generateScenes, type GeneratedScene } from '../../main/synthetic/index';
import { MODEL_DIR } from './data';

type Judged = ScoredReview & { label: string; box: Proposal['box']; group: number; emb?: Float32Array };

function judge(scene: GeneratedScene, proposals: Proposal[], group: number): Judged[] {
  const used = new Set<number>();
  return [...proposals].sort((a, b) => b.score - a.score).map((p) => {
    const match = scene.objects.findIndex((o, i) => !used.has(i) && `${o.color} ${o.shape}` === p.label && boxIou(o.box, p.box) >= 0.5);
    if (match >= 0) used.add(match);
    return { label: p.label, score: p.score, accepted: match >= 0, box: p.box, group };
  });
}

const ratio = (r: ScoredReview[]) => {
  const a = r.filter((x) => x.accepted).length;
  return { accepted: a, rejected: r.length - a, perAccept: a ? (r.length - a) / a : NaN };
};

export async function detectionBench(quick: boolean): Promise<void> {
  const model = await ClipModel.load(MODEL_DIR);
  const detector = new DenseClipDetector(model);
  const n = quick ? 60 : 240;
  const scenes = await generateScenes(n, { seed: 'adapt-detect', width: 128, height: 128, objects: [{ size: 'medium' }, { size: 'small' }, { size: 'small' }] });
  const queries = [...new Set(scenes.flatMap((s) => s.objects.map((o) => `${o.color} ${o.shape}`)))];
  const threshold = DEFAULT_THRESHOLD['dense-clip'];
  const judged: Judged[][] = [];
  for (let i = 0; i < n; i += 16) {
    const batch = scenes.slice(i, i + 16);
    const out = await detector.detect(batch.map((s) => ({ input: new Uint8Array(s.jpeg) })), { queries, threshold, segment: false });
    batch.forEach((s, j) => judged.push(judge(s, out[j], i + j)));
  }
  // Region embeddings: every proposal's crop through the image tower (what the detection job does with a region cache).
  for (let i = 0; i < n; i++) {
    const emb = await embedRegions(model, new Uint8Array(scenes[i].jpeg), judged[i].map((r) => r.box));
    judged[i].forEach((r, k) => { r.emb = emb.subarray(k * model.dim, (k + 1) * model.dim); });
  }
  const dim = model.dim;
  await model.dispose();
  const half = Math.floor(n / 2);
  const reviewed = judged.slice(0, half).flat();
  const held = judged.slice(half).flat();
  const cuts = new Map<string, number>();
  for (const label of queries) {
    const cut = bestCut(reviewed.filter((r) => r.label === label));
    if (cut !== null) cuts.set(label, cut);
  }
  const before = ratio(held);
  const after = ratio(held.filter((r) => r.score >= (cuts.get(r.label) ?? threshold)));
  const keys = new Float32Array(reviewed.length * dim);
  reviewed.forEach((r, i) => keys.set(r.emb!, i * dim));
  const fit = fitRegionCache(reviewed, keys, dim);
  const cached = ratio(held.filter((r) => passesCut(fit, r.label, adaptedRegionScore(fit.cache, r.label, r.emb!, r.score))));
  console.log(`\n### detection: dense detector of the built-in model, ${n} three-object scenes (one medium, two small), ${queries.length} queries, default threshold ${threshold}`);
  console.log(`thresholds learnt for ${cuts.size} classes from the reviews of ${half} scenes (${reviewed.length} proposals); measured on the other ${n - half} scenes:`);
  console.log('| | accepted | rejected | rejected per accepted |\n| --- | ---: | ---: | ---: |');
  console.log(`| before (default threshold) | ${before.accepted} | ${before.rejected} | ${before.perAccept.toFixed(2)} |`);
  console.log(`| after (per-class thresholds) | ${after.accepted} | ${after.rejected} | ${after.perAccept.toFixed(2)} |`);
  console.log(`| after (region cache α=${fit.cache.alpha} β=${fit.cache.beta} γ=${fit.cache.gamma} + ${fit.mode} cut) | ${cached.accepted} | ${cached.rejected} | ${cached.perAccept.toFixed(2)} |`);
  console.log(`cross-validated on the reviews (${fit.folds} folds by scene): rejected per accepted ${fit.rejectsPerAccept.before?.toFixed(2)} → cuts ${fit.rejectsPerAccept.cutsOnly?.toFixed(2)} → cache + cuts ${fit.rejectsPerAccept.adapted?.toFixed(2)}; accepted kept ${(fit.recall.cutsOnly * 100).toFixed(0)}% / ${(fit.recall.adapted * 100).toFixed(0)}%`);
}
