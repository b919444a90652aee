// Evaluates a CLIP-style model folder on scenes from Winnow's TypeScript generator (not the trainer's renderer),
// through the engine's own loader, preprocessing and tokenizer.
//   npm run eval:model -- [--model DIR] [--n 2000] [--seed S] [--json OUT] [--write-card]
// Prints the quality table of the built-in model's card.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { ClipModel } from '../../main/engine/vision/clip-model';
import { embedImageFiles } from '../../main/engine/vision/embed-files';
import { APP_ROOT } from '../../main/engine/paths';
import { generateScenes, loadVocabulary, type GeneratedScene } from '../../main/synthetic/index';
import { resizeBilinear } from '../../main/engine/detect/clipseg';
import { argmaxRow, dot, maskIou, rocAuc } from './metrics';

export interface EvaluationOptions { modelDir: string; n: number; seed: string; size: number }

export interface Evaluation {
  zeroShotSeen: number;
  zeroShotHeldOut: number;
  recallAt1: number;
  pairAuc: number;
  bestPatchInside: number;
  meanMaskIou: number;
  maskThreshold: number;
  counts: { seen: number; heldOut: number; pairs: number; denseObjects: number };
  seconds: number;
}

async function embedScenes(model: ClipModel, scenes: GeneratedScene[]) {
  const embeddings = new Float32Array(scenes.length * model.dim);
  let patches: Float32Array | null = null;
  let tokens = 0;
  for await (const batch of embedImageFiles(model, scenes.map((s) => new Uint8Array(s.jpeg)), { batchSize: 64, patches: true })) {
    if (batch.errors.length) throw new Error(`generator produced an unreadable image: ${batch.errors[0].reason}`);
    batch.indexes.forEach((index, row) => embeddings.set(batch.embeddings.subarray(row * model.dim, (row + 1) * model.dim), index * model.dim));
    if (batch.patches) {
      tokens = batch.patches.tokens;
      patches ??= new Float32Array(scenes.length * tokens * batch.patches.dim);
      const per = tokens * batch.patches.dim;
      batch.indexes.forEach((index, row) => patches!.set(batch.patches!.data.subarray(row * per, (row + 1) * per), index * per));
    }
  }
  return { embeddings, patches, tokens };
}

async function zeroShot(model: ClipModel, scenes: GeneratedScene[], prompts: Float32Array, classes: string[]): Promise<number> {
  const { embeddings } = await embedScenes(model, scenes);
  let correct = 0;
  scenes.forEach((scene, i) => {
    const scores = classes.map((_, c) => dot(embeddings, i, prompts, c, model.dim));
    const o = scene.objects[0];
    if (classes[argmaxRow(scores)] === `${o.color} ${o.shape}`) correct++;
  });
  return correct / scenes.length;
}

export async function evaluate(opts: EvaluationOptions): Promise<Evaluation> {
  const started = performance.now();
  const vocab = loadVocabulary();
  const model = await ClipModel.load(opts.modelDir);
  const classes = Object.keys(vocab.colors).flatMap((c) => Object.keys(vocab.shapes).map((s) => `${c} ${s}`));
  const prompts = await model.embedTexts(classes.map((c) => vocab.templates.zero_shot.replace('{color} {shape}', c)));
  const geo = { width: opts.size, height: opts.size };

  const seen = await generateScenes(opts.n, { seed: `${opts.seed}-seen`, ...geo, singleObject: true, heldOut: 'exclude' });
  const heldOut = await generateScenes(Math.max(64, Math.round(opts.n / 2)), { seed: `${opts.seed}-held`, ...geo, singleObject: true, heldOut: 'only' });
  const zeroShotSeen = await zeroShot(model, seen, prompts, classes);
  const zeroShotHeldOut = await zeroShot(model, heldOut, prompts, classes);

  // Retrieval and pair scores over 1,000 fresh multi-object pairs.
  const pairs = await generateScenes(1000, { seed: `${opts.seed}-pairs`, ...geo });
  const { embeddings: pairImages } = await embedScenes(model, pairs);
  const captions = await model.embedTexts(pairs.map((p) => p.caption));
  let hits = 0;
  const positives: number[] = [];
  const negatives: number[] = [];
  const classesOf = (s: GeneratedScene) => s.objects.map((o) => `${o.color} ${o.shape}`).sort().join('|');
  pairs.forEach((scene, i) => {
    const scores = pairs.map((_, j) => dot(pairImages, i, captions, j, model.dim));
    if (pairs[argmaxRow(scores)].caption === scene.caption) hits++;
    positives.push(scores[i]);
    // A mismatched caption is one describing other classes, as the dirty datasets plant them.
    const other = pairs[(i * 7919 + 13) % pairs.length];
    if (classesOf(other) !== classesOf(scene)) negatives.push(scores[pairs.indexOf(other)]);
  });

  // Dense: two-object scenes; best patch for each object's phrase, and thresholded similarity maps vs masks.
  const dense = await generateScenes(Math.max(50, Math.round(opts.n / 4)), { seed: `${opts.seed}-dense`, ...geo, objects: [{}, {}] });
  const { patches, tokens } = await embedScenes(model, dense);
  let inside = 0;
  let objects = 0;
  const ious: number[][] = [];
  const thresholds = [0.1, 0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8];
  thresholds.forEach(() => ious.push([]));
  if (patches && model.patchGrid) {
    const [rows, cols] = model.patchGrid;
    const phrases = await model.embedTexts(dense.flatMap((s) => s.objects.map((o) => `${o.color} ${o.shape}`)));
    let phrase = 0;
    dense.forEach((scene, i) => {
      for (const o of scene.objects) {
        const map = new Float32Array(tokens);
        for (let t = 0; t < tokens; t++) map[t] = dot(patches, i * tokens + t, phrases, phrase, model.dim);
        phrase++;
        if (o.occluded) continue;
        objects++;
        const best = argmaxRow(map);
        const cx = Math.min(scene.width - 1, Math.floor(((best % cols) + 0.5) * (scene.width / cols)));
        const cy = Math.min(scene.height - 1, Math.floor((Math.floor(best / cols) + 0.5) * (scene.height / rows)));
        if (o.mask[cy * scene.width + cx]) inside++;
        const up = resizeBilinear(map, rows, cols, scene.height, scene.width);
        thresholds.forEach((t, k) => ious[k].push(maskIou(Uint8Array.from(up, (v) => (v > t ? 1 : 0)), o.mask)));
      }
    });
  }
  const means = ious.map((list) => list.reduce((a, b) => a + b, 0) / Math.max(1, list.length));
  const bestT = argmaxRow(means);
  await model.dispose();
  return {
    zeroShotSeen, zeroShotHeldOut, recallAt1: hits / pairs.length, pairAuc: rocAuc(positives, negatives),
    bestPatchInside: objects ? inside / objects : 0, meanMaskIou: means[bestT], maskThreshold: thresholds[bestT],
    counts: { seen: seen.length, heldOut: heldOut.length, pairs: pairs.length, denseObjects: objects },
    seconds: (performance.now() - started) / 1000,
  };
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)}%`;
}

export function formatEvaluation(e: Evaluation): string {
  return [
    '| metric (TypeScript generator, engine preprocessing) | value | target |',
    '| --- | ---: | ---: |',
    `| zero-shot top-1, 64 classes, seen combinations (n=${e.counts.seen}) | ${pct(e.zeroShotSeen)} | ≥ 95% |`,
    `| zero-shot top-1, held-out combinations (n=${e.counts.heldOut}) | ${pct(e.zeroShotHeldOut)} | ≥ 80% |`,
    `| image → caption recall@1 among ${e.counts.pairs} pairs | ${pct(e.recallAt1)} | report |`,
    `| pair score ROC AUC, true vs mismatched captions | ${e.pairAuc.toFixed(4)} | ≥ 0.98 |`,
    `| best patch inside the named object, two-object scenes (n=${e.counts.denseObjects}) | ${pct(e.bestPatchInside)} | ≥ 90% |`,
    `| mean mask IoU, similarity map > ${e.maskThreshold} (best of a fixed grid) | ${e.meanMaskIou.toFixed(3)} | report |`,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { model: { type: 'string' }, n: { type: 'string', default: '2000' }, seed: { type: 'string', default: 'eval-1' }, size: { type: 'string', default: '96' }, json: { type: 'string' }, 'write-card': { type: 'boolean' } } });
  const modelDir = values.model ?? path.join(APP_ROOT, 'models', 'winnow-clip-mini');
  const result = await evaluate({ modelDir, n: Number(values.n), seed: values.seed!, size: Number(values.size) });
  console.log(formatEvaluation(result));
  console.log(`\n(${result.seconds.toFixed(0)} s)`);
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  if (values['write-card']) writeCard(modelDir, result);
}

/** Replaces the table under the card's "Quality on the TypeScript generator" heading and writes evaluation.json. */
function writeCard(modelDir: string, result: Evaluation): void {
  const card = path.join(modelDir, 'README.md');
  const text = readFileSync(card, 'utf8');
  const start = text.indexOf('## Quality on the TypeScript generator');
  if (start < 0) throw new Error(`${card} has no "Quality on the TypeScript generator" section`);
  const tableStart = text.indexOf('| metric', start);
  const sectionEnd = text.indexOf('\n## ', start + 3);
  const table = formatEvaluation(result);
  const updated = tableStart >= 0 && (sectionEnd < 0 || tableStart < sectionEnd)
    ? text.slice(0, tableStart) + table + text.slice(text.indexOf('\n\n', tableStart))
    : text.slice(0, sectionEnd < 0 ? text.length : sectionEnd) + `\n${table}\n` + (sectionEnd < 0 ? '' : text.slice(sectionEnd));
  writeFileSync(card, updated);
  writeFileSync(path.join(modelDir, 'evaluation.json'), JSON.stringify(result, null, 2));
}
