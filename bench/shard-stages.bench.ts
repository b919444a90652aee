// `npm run bench:stages`: the cost of each plan stage inside a shard (ms per item), the built-in model on generated
// scenes in one WebDataset tar, CPU provider. The same shard runs embed-only (the floor) and with one stage added at a
// time, in interleaved rounds (the shared machine's load moves: interleaving keeps the ratios comparable); the table
// gives the median ms/item of each configuration, the stage's own cost (minus the floor) and the ratio to the floor.
// Options (env): BENCH_ITEMS (64), BENCH_ROUNDS (3), BENCH_SIDE (256: image width; height 3/4 of it).
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ScalePlan, type PlanStagesT } from '../main/domain/scale';
import { FsStorage } from '../main/engine/scale/fs-storage';
import { runShard } from '../main/engine/scale/shard-run';
import { loadShardModel } from '../main/engine/scale/shard-model';
import { prepareStages } from '../main/engine/scale/stages/shard-stages';
import { planUnits, shardOf } from '../main/engine/scale/units';
import { generateScenes } from '../main/synthetic';
import { tempDir } from '../test/fixtures/images';
import { tarBuffer } from '../test/fixtures/formats';
import { DEFAULT_TEMPLATES } from '../main/engine/curate/zero-shot';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const ITEMS = env('BENCH_ITEMS', 64);
const ROUNDS = env('BENCH_ROUNDS', 3);
const SIDE = env('BENCH_SIDE', 256);
const MODEL = 'winnow-clip-mini';
const CLASSES = ['red circle', 'blue square', 'green triangle', 'yellow star', 'purple hexagon', 'orange cross', 'red square', 'blue circle', 'green star', 'yellow triangle'];

const CONFIGS: Array<[string, PlanStagesT]> = [
  ['embed only (floor)', {}],
  ['+ stats (pixel stats + pHash)', { stats: {} }],
  ['+ labels (10 classes)', { labels: { model: MODEL, classes: CLASSES.map((name) => ({ name })), templates: [...DEFAULT_TEMPLATES], k: 3, threshold: 0.3, multiLabel: false } }],
  ['+ concepts (3 prompts)', { concepts: { prompts: ['a watermark', 'a red shape', 'text'] } }],
  ['+ detect (dense, 3 queries)', { detect: { model: MODEL, queries: ['red circle', 'blue square', 'green triangle'], threshold: 0.2, segment: false } }],
  ['+ detect with masks', { detect: { model: MODEL, queries: ['red circle', 'blue square', 'green triangle'], threshold: 0.2, maskThreshold: 0.35, segment: true } }],
];

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

async function main() {
  const dir = await tempDir('winnow-bench-stages-');
  const wds = path.join(dir, 'wds');
  await mkdir(wds);
  const list = await generateScenes(ITEMS, { seed: 'bench-stages', width: SIDE, height: Math.round(SIDE * 0.75) });
  await writeFile(path.join(wds, '00000.tar'), await tarBuffer(list.flatMap((s) => [
    { name: `${String(s.index).padStart(9, '0')}.jpg`, data: s.jpeg }, { name: `${String(s.index).padStart(9, '0')}.txt`, data: Buffer.from(s.caption) }])));
  const model = await loadShardModel(MODEL);
  // Stages are prepared once per process (as a worker does): their load time is not per-shard cost.
  const prepared = await Promise.all(CONFIGS.map(([, stages]) => prepareStages(MODEL, stages, model)));
  const times: number[][] = CONFIGS.map(() => []);
  const load0 = os.loadavg()[0];
  for (let round = 0; round < ROUNDS; round++) {
    for (let c = 0; c < CONFIGS.length; c++) {
      const output = path.join(dir, `out-${round}-${c}`);
      const plan = ScalePlan.parse({ version: 1, model: MODEL, sources: [{ kind: 'webdataset', path: wds }], output, batchSize: 16, stages: CONFIGS[c][1] });
      const shard = shardOf(await planUnits(plan), { index: 0, count: 1 });
      const t0 = performance.now();
      await runShard(plan, shard, { storage: new FsStorage(output), model, stages: prepared[c] });
      times[c].push((performance.now() - t0) / ITEMS);
      await rm(output, { recursive: true, force: true });
    }
  }
  const floor = median(times[0]);
  console.log(`\nPer-shard cost of each plan stage — ${ITEMS} items ${SIDE}×${Math.round(SIDE * 0.75)} in one tar, ${MODEL}, CPU, ${os.availableParallelism()} cores, ${ROUNDS} interleaved rounds; load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}\n`);
  console.log('| configuration | ms/item (median) | stage ms/item | vs floor |');
  console.log('| --- | --- | --- | --- |');
  CONFIGS.forEach(([name], c) => {
    const m = median(times[c]);
    console.log(`| ${name} | ${m.toFixed(1)} | ${c === 0 ? '—' : (m - floor).toFixed(1)} | ${(m / floor).toFixed(2)}× |`);
  });
  await Promise.all(prepared.map((p) => p.dispose()));
  await model.model.dispose();
  await rm(dir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
