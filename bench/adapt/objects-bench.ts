// The per-object section of the adaptation benchmark: for the multi-object settings, accuracy after n
// reviews adapting on the global embedding vs a detected region's crop (objects.ts), random and margin
// review order, and "auto" (the view with the best cross-validated accuracy on the reviews, random order).
import type { AdaptStrategyT } from '../../main/domain/adapt';
import type { ClipModel } from '../../main/engine/vision/clip-model';
import { classNames, type Setting, textClassifier } from './data';
import { objectViews, type View, VIEWS } from './objects';
import { accuracy, type CurvePoint, simulate } from './simulate';
import { meanCi, pct } from './stats';

const ORDERS: AdaptStrategyT[] = ['random', 'margin'];

export async function objectsBench(model: ClipModel, settings: Setting[], o: { seeds: number; pool: number; test: number; checkpoints: number[] }): Promise<void> {
  const checkpoints = o.checkpoints.filter((c) => c <= o.pool);
  for (const setting of settings) {
    const classes = classNames(setting);
    const base = await textClassifier(model, classes);
    const zero = new Map<View, number[]>(VIEWS.map((v) => [v, []]));
    const curves = new Map<string, CurvePoint[][]>();
    const auto: number[][] = [];
    for (let seed = 1; seed <= o.seeds; seed++) {
      const pool = await objectViews(model, setting, o.pool, `pool-${seed}`, classes);
      const test = await objectViews(model, setting, o.test, `test-${seed}`, classes);
      const bySeed = new Map<string, CurvePoint[]>();
      for (const view of VIEWS) {
        zero.get(view)!.push(accuracy(base, test[view]));
        for (const order of ORDERS) {
          const curve = simulate(base, pool[view], test[view], order, checkpoints, seed);
          bySeed.set(`${view} ${order}`, curve);
          curves.set(`${view} ${order}`, [...(curves.get(`${view} ${order}`) ?? []), curve]);
        }
      }
      // Random order reviews the same items in every view: pick per checkpoint the view the reviews favour.
      auto.push(checkpoints.map((_, i) => {
        const best = VIEWS.map((v) => bySeed.get(`${v} random`)![i]).reduce((a, b) => (b.cvAccuracy > a.cvAccuracy ? b : a));
        return best.accuracy;
      }));
    }
    const zs = meanCi(zero.get('global')!);
    console.log(`### per-object: ${setting.name} (${setting.about}); pool ${o.pool}, test ${o.test}, seeds ${o.seeds}`);
    console.log(`zero-shot: global ${pct(zs)}, largest detected region ${pct(meanCi(zero.get('largest')!))}\n`);
    console.log(`| view, order | ${checkpoints.map((c) => `${c} reviews`).join(' | ')} |`);
    console.log(`| --- | ${checkpoints.map(() => '---:').join(' | ')} |`);
    const at = (key: string, reviews: number) => meanCi(curves.get(key)!.map((r) => r[checkpoints.indexOf(reviews)].accuracy)).mean;
    for (const [key, runs] of curves) {
      console.log(`| ${key} | ${checkpoints.map((_, i) => `${pct(meanCi(runs.map((r) => r[i].accuracy)))} (${[...new Set(runs.map((r) => r[i].method))].join('/')})`).join(' | ')} |`);
    }
    console.log(`| auto (cross-validated view), random | ${checkpoints.map((_, i) => pct(meanCi(auto.map((a) => a[i])))).join(' | ')} |`);
    const err0 = 1 - zs.mean;
    if (checkpoints.includes(50)) {
      const autoAt50 = meanCi(auto.map((a) => a[checkpoints.indexOf(50)])).mean;
      const best50 = Math.max(autoAt50, ...[...curves.keys()].map((k) => at(k, 50)));
      console.log(`\ntarget 1: global zero-shot error ${(err0 * 100).toFixed(1)}% → best after 50 reviews ${((1 - best50) * 100).toFixed(1)}% (halved: ${1 - best50 <= err0 / 2 ? 'yes' : 'no'}); auto ${((1 - autoAt50) * 100).toFixed(1)}%`);
    }
    if (checkpoints.includes(60) && checkpoints.includes(100)) {
      for (const view of VIEWS) {
        const reach = at(`${view} margin`, 60) >= at(`${view} random`, 100);
        console.log(`target 2 (${view}): margin at 60 ${(at(`${view} margin`, 60) * 100).toFixed(1)}% vs random at 100 ${(at(`${view} random`, 100) * 100).toFixed(1)}% (reached: ${reach ? 'yes' : 'no'})`);
      }
    }
    console.log('');
  }
}
