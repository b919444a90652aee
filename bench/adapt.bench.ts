// Few-shot adaptation benchmark (not a timed test): zero-shot vs adapted accuracy after 10, 50, 100 and
// 500 reviews, random vs active review order, over seeds, on generated scenes with ground truth.
//   npm run bench:adapt -- [--quick] [--seeds 5] [--settings hard,cluttered] [--pool 1500] [--test 1000] [--objects two-objects,cluttered] [--objects-only] [--objects-pool 800] [--objects-test 500]
import { parseArgs } from 'node:util';
import { ClipModel } from '../main/engine/vision/clip-model';
import type { AdaptStrategyT } from '../main/domain/adapt';
import { classNames, embeddedScenes, MODEL_DIR, SETTINGS, textClassifier } from './adapt/data';
import { accuracy, type CurvePoint, simulate } from './adapt/simulate';
import { applyThroughput } from './adapt/throughput';
import { detectionBench } from './adapt/detection';
import { jobScale } from './adapt/job-scale';
import { meanCi, pct } from './adapt/stats';
import { objectsBench } from './adapt/objects-bench';


const { values } = parseArgs({ options: { quick: { type: 'boolean' }, seeds: { type: 'string' }, settings: { type: 'string' }, pool: { type: 'string' }, test: { type: 'string' }, orders: { type: 'string' }, objects: { type: 'string' }, 'objects-only': { type: 'boolean' }, 'objects-pool': { type: 'string' }, 'objects-test': { type: 'string' } } });
const quick = values.quick === true;
const seeds = Number(values.seeds ?? (quick ? 2 : 5));
const poolSize = Number(values.pool ?? (quick ? 600 : 1500));
const testSize = Number(values.test ?? (quick ? 400 : 1000));
const checkpoints = quick ? [10, 50, 60, 100] : [10, 50, 60, 100, 500];
const orders = (values.orders?.split(',') ?? ['random', 'margin', 'diverse']) as AdaptStrategyT[];
const settings = values['objects-only'] ? [] : values.settings ? SETTINGS.filter((s) => values.settings!.split(',').includes(s.name)) : SETTINGS;
const objectSettings = SETTINGS.filter((s) => (values.objects?.split(',') ?? ['two-objects', 'cluttered']).includes(s.name));

const model = await ClipModel.load(MODEL_DIR);
console.log(`model winnow-clip-mini (dim ${model.dim}); pool ${poolSize}, test ${testSize}, seeds ${seeds}; accuracy % on the test set, mean ± 95% CI over seeds\n`);
const started = performance.now();
for (const setting of settings) {
  const classes = classNames(setting);
  const base = await textClassifier(model, classes);
  const zs: number[] = [];
  const curves = new Map<AdaptStrategyT, CurvePoint[][]>(orders.map((o) => [o, []]));
  for (let seed = 1; seed <= seeds; seed++) {
    const pool = await embeddedScenes(model, setting, poolSize, `pool-${seed}`, classes);
    const test = await embeddedScenes(model, setting, testSize, `test-${seed}`, classes);
    zs.push(accuracy(base, test));
    for (const order of orders) curves.get(order)!.push(simulate(base, pool, test, order, checkpoints, seed));
  }
  const zero = meanCi(zs);
  console.log(`### ${setting.name}: ${setting.about}\nzero-shot: ${pct(zero)}\n`);
  console.log(`| order | ${checkpoints.map((c) => `${c} reviews`).join(' | ')} |`);
  console.log(`| --- | ${checkpoints.map(() => '---:').join(' | ')} |`);
  for (const order of orders) {
    const runs = curves.get(order)!;
    const cells = checkpoints.map((_, i) => {
      const m = meanCi(runs.map((r) => r[i].accuracy));
      const methods = [...new Set(runs.map((r) => r[i].method))].join('/');
      return `${pct(m)} (${methods})`;
    });
    console.log(`| ${order} | ${cells.join(' | ')} |`);
  }
  const at = (order: AdaptStrategyT, reviews: number) => meanCi(curves.get(order)?.map((r) => r[checkpoints.indexOf(reviews)].accuracy) ?? []).mean;
  const err0 = 1 - zero.mean;
  const best50 = Math.max(...orders.map((o) => at(o, 50)));
  console.log(`\nerror zero-shot ${(err0 * 100).toFixed(1)}% → after 50 reviews ${((1 - best50) * 100).toFixed(1)}% (halved: ${1 - best50 <= err0 / 2 ? 'yes' : 'no'})`);
  for (const order of orders.filter((o) => o !== 'random')) {
    if (!curves.has('random')) break;
    const reach = at(order, 60) >= at('random', 100);
    console.log(`${order} order at 60 reviews ${(at(order, 60) * 100).toFixed(1)}% vs random at 100 ${(at('random', 100) * 100).toFixed(1)}% (reached: ${reach ? 'yes' : 'no'})`);
  }
  console.log('');
}
await objectsBench(model, objectSettings, { seeds, pool: Number(values['objects-pool'] ?? (quick ? 400 : 800)), test: Number(values['objects-test'] ?? (quick ? 300 : 500)), checkpoints });
await model.dispose();
if (values['objects-only']) process.exit(0);
await applyThroughput(quick ? 20_000 : 100_000, model.dim, 64);
await jobScale(quick ? 20_000 : 100_000);
await detectionBench(quick);

console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
