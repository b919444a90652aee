// `npm run bench:merge`: the streaming merge over generated shard outputs (test/fixtures/scale-synthetic.ts:
// sorted item tables, matrices, annotations, planted exact copies, no images or model) at two sizes, with
// the plan's rules evaluated at the merge. Each merge runs in a fresh child process so its peak RSS is its
// own; sizes are interleaved (small, large, small, large) so machine load hits both alike. Two ways of
// dealing keys to shards: `ranges` (each shard a contiguous key range, as tars of sequential keys: the
// merge reads one shard at a time) and `random` (every shard overlaps every other: the merge holds one
// row group per shard). Reports merge ms per item, peak RSS, and the large/small ratios: flat memory
// shows as an RSS ratio near 1 while the rows grow 10×. The floor is a plain streamed read of the same
// shard tables (no writing, no grouping).
// Semantic dedup is left out (hook returns no groups): bench:dedup measures it.
// Options (env): BENCH_SMALL (10000), BENCH_LARGE (100000), BENCH_SHARDS (16), BENCH_GROUP (512), BENCH_ROUNDS (2).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { FsStorage } from '../main/engine/scale/fs-storage';
import { ItemTableReader } from '../main/engine/scale/item-table';
import { mergeShards } from '../main/engine/scale/merge';
import { shardPath } from '../main/engine/scale/shard-run';
import { tempDir } from '../test/fixtures/images';
import { writeSyntheticShards } from '../test/fixtures/scale-synthetic';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const SMALL = env('BENCH_SMALL', 10_000);
const LARGE = env('BENCH_LARGE', 100_000);
const SHARDS = env('BENCH_SHARDS', 16);
const GROUP = env('BENCH_GROUP', 512);
const DEALS = ['ranges', 'random'] as const;
type Deal = (typeof DEALS)[number];
const ROUNDS = env('BENCH_ROUNDS', 2);
const RULES = [
  { id: 'words', kind: 'caption_words', op: '>', threshold: 2, enabled: true },
  { id: 'side', kind: 'min_side', op: '>=', threshold: 150, enabled: true },
  { id: 'broken', kind: 'unreadable', enabled: true },
  { id: 'copies', kind: 'exact_dup', enabled: true },
  { id: 'cat', kind: 'signal', signal: 'label.cat', op: '<', threshold: 0.8, enabled: true },
] as const;

interface Measured { ms: number; rssMb: number }

/** Child: generate `rows` rows of shards into `dir` (its own process: the generator holds every row). */
async function generate(dir: string, rows: number, deal: Deal): Promise<void> {
  await writeSyntheticShards(dir, { shards: SHARDS, rows, groupSize: GROUP, withAnnotations: true, keepRows: false, deal });
}

/** Child: merge (or only read, `floor`) the shards in `dir`; prints ms and peak RSS as JSON. */
async function measure(dir: string, floor: boolean): Promise<void> {
  const storage = new FsStorage(dir);
  const started = performance.now();
  if (floor) {
    let n = 0;
    for (let index = 0; index < SHARDS; index++) {
      for await (const g of (await ItemTableReader.open(path.join(await storage.open(shardPath({ index, count: SHARDS })), 'items.parquet'))).groups()) n += g.length;
    }
    if (!n) throw new Error('no rows read');
  } else {
    const { ScalePlan } = await import('../main/domain/scale');
    const plan = ScalePlan.parse({ version: 1, name: 'bench', model: 'synthetic', output: dir, sources: [{ kind: 'jsonl', path: 'a' }, { kind: 'jsonl', path: 'b' }], rules: RULES });
    await mergeShards(plan, SHARDS, storage, { groupSize: GROUP, semantic: async () => [] });
  }
  const ms = performance.now() - started;
  process.stdout.write(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
}

const self = (...args: string[]) => execFileSync(process.execPath, ['--import', 'tsx', import.meta.filename, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });

async function main() {
  const [mode, dir, arg, deal] = process.argv.slice(2);
  if (mode === '--generate') return generate(dir, Number(arg), deal as Deal);
  if (mode === '--measure') return measure(dir, arg === 'floor');
  const sizes = [SMALL, LARGE];
  const dirs = new Map<string, string>();
  for (const rows of sizes) {
    for (const deal of DEALS) {
      const dir = await tempDir(`winnow-bench-merge-${deal}-${rows}-`);
      self('--generate', dir, String(rows), deal);
      dirs.set(`${deal}:${rows}`, dir);
    }
  }
  const runs = [...DEALS.map((deal) => ({ deal, kind: 'merge' })), { deal: 'ranges', kind: 'floor' }] as const;
  const results = new Map<string, Measured[]>();
  const load: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const rows of sizes) {
      for (const { deal, kind } of runs) {
        load.push(os.loadavg()[0]);
        const m = JSON.parse(self('--measure', dirs.get(`${deal}:${rows}`)!, kind)) as Measured;
        const k = `${kind}:${deal}:${rows}`;
        results.set(k, [...(results.get(k) ?? []), m]);
      }
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (kind: string, deal: Deal, rows: number) => {
    const list = results.get(`${kind}:${deal}:${rows}`)!;
    return { msPerItem: median(list.map((m) => m.ms)) / rows, rssMb: median(list.map((m) => m.rssMb)) };
  };
  console.log(`\nmerge of ${SHARDS} generated shards, row groups of ${GROUP}, ${RULES.length} rules, ${ROUNDS} interleaved rounds (median); load average ${Math.min(...load).toFixed(1)}-${Math.max(...load).toFixed(1)} on ${os.cpus().length} cores\n`);
  console.log('| keys dealt | rows | merge ms/item | streamed read ms/item (floor) | merge / floor | merge peak RSS MB | floor peak RSS MB |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const deal of DEALS) {
    for (const rows of sizes) {
      const m = row('merge', deal, rows);
      const f = row('floor', 'ranges', rows);
      console.log(`| ${deal} | ${rows} | ${m.msPerItem.toFixed(3)} | ${f.msPerItem.toFixed(4)} | ${(m.msPerItem / f.msPerItem).toFixed(1)}× | ${m.rssMb.toFixed(0)} | ${f.rssMb.toFixed(0)} |`);
    }
  }
  for (const deal of DEALS) {
    const [s, l] = [row('merge', deal, SMALL), row('merge', deal, LARGE)];
    console.log(`${deal}: ${LARGE}/${SMALL} rows (${(LARGE / SMALL).toFixed(0)}×): merge peak RSS ${(l.rssMb / s.rssMb).toFixed(2)}×, ms/item ${(l.msPerItem / s.msPerItem).toFixed(2)}×`);
  }
}

await main();
