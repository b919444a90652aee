// `npm run bench:decided-cutover`: where counting decisions by hand item by item stops paying (decided-tally.ts). On the
// million bench's projects (WINNOW_BENCH_DIR, built by `npm run bench:million`; BENCH_SIZES, default 1000,1000000), for a
// growing number of items decided by hand (half excluded, half kept), the first count after the decisions with the rules'
// own tally kept (as after a click): looked up item by item, and streamed with the decided sets, interleaved (BENCH_ROUNDS
// rounds, the order swapped each round), wall and CPU ms at median. Both paths must give the same count. Prints what a
// lookup and a streamed word cost (all of each path's time over its lookups or words: at few decisions the fixed costs
// dominate), from which decided-tally.ts `cutover` takes its constants.
// The decisions are cleared again after each measure (the project's change_versions move on).
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../main/engine/engine';
import { compileRules } from '../main/engine/curate/rules';
import { cutover } from '../main/engine/curate/decided-tally';
import { lookedUpTallies, removedSets } from '../main/engine/curate/removed-sets';
import { filterCount } from '../main/engine/curate/selection';
import { ManualStore } from '../main/engine/store/manual';
import type { RuleT } from '../main/domain/curation';
import { log } from './lib/synthetic-project';

const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const SIZES = (process.env.BENCH_SIZES ?? '1000,1000000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const DECIDED = (process.env.BENCH_DECIDED ?? '1,10,100,300,1000,3000,10000,30000').split(',').map(Number);
/** The million bench's three rules (bench/million.bench.ts RULES3): two threshold rules streamed from their copies, exact duplicates. */
const RULES: RuleT[] = [
  { id: 'pair', kind: 'signal', enabled: true, signal: 'clip.pair', op: '>=', threshold: 0.25 },
  { id: 'words', kind: 'signal', enabled: true, signal: 'caption.words', op: '>', threshold: 8 },
  { id: 'dup', kind: 'exact_dup', enabled: true },
];
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function measure(size: number): Promise<void> {
  const dir = path.join(CACHE, `million-${size}`);
  process.env.WINNOW_HOME = path.join(CACHE, 'million-home');
  const engine = new Engine('cli');
  const project = await engine.openProject(dir, { resume: false });
  const db = project.db;
  const sets = removedSets(db);
  const rules = compileRules(db, RULES);
  filterCount(db, { rules: RULES, show: 'removed' });
  await sets.idle();
  const ids = db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];
  const manual = new ManualStore(db);
  if ((db.prepare('SELECT count(*) FROM manual_decisions').pluck().get() as number) > 0) throw new Error(`${dir} has decisions by hand: the bench clears what it decides, not what it found`);
  const words = Math.ceil((ids.at(-1)! + 1) / 32);
  log(`${size.toLocaleString('en')} items (load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')})`);
  console.log(`| decided | looked up: wall ms | CPU ms | streamed: wall ms | CPU ms | µs a lookup | ns a streamed word |`);
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const decided of DECIDED.filter((d) => d <= ids.length)) {
    // Spread over the ids (a stride), so every chunk of the streamed tally holds some.
    const chosen = Array.from({ length: decided }, (_, k) => ids[Math.floor((k * ids.length) / decided)]);
    const times: Record<'lookup' | 'stream', { wall: number[]; cpu: number[]; count: number[] }> = { lookup: { wall: [], cpu: [], count: [] }, stream: { wall: [], cpu: [], count: [] } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of round % 2 === 0 ? (['lookup', 'stream'] as const) : (['stream', 'lookup'] as const)) try {
        db.transaction(() => {
          manual.decide(chosen.filter((_, k) => k % 2 === 0), 'exclude', 'bench', 'bench');
          manual.decide(chosen.filter((_, k) => k % 2 === 1), 'keep', 'bench', 'bench');
        })();
        // The rules' own tally kept, as after the recount before a click (a hit here).
        sets.tally(rules);
        cutover.forced = path === 'lookup';
        const looked = lookedUpTallies.counted;
        const cpu0 = process.cpuUsage();
        const t0 = performance.now();
        const count = filterCount(db, { rules: RULES, show: 'removed' });
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        if (lookedUpTallies.counted !== looked + (path === 'lookup' ? 1 : 0)) throw new Error(`the ${path} path was not taken`);
        times[path].wall.push(wall);
        times[path].cpu.push((cpu.user + cpu.system) / 1000);
        times[path].count.push(count);
      } finally {
        db.prepare('DELETE FROM manual_decisions').run();
      }
    }
    if (new Set([...times.lookup.count, ...times.stream.count]).size !== 1) throw new Error(`the paths disagree at ${decided} decided: ${JSON.stringify(times)}`);
    const [lw, lc, sw, sc] = [median(times.lookup.wall), median(times.lookup.cpu), median(times.stream.wall), median(times.stream.cpu)];
    // Per lookup (2 signals a decided item) and per streamed word (5 sets): the lower of wall and CPU (load inflates one or the other).
    const [perLookup, perWord] = [(Math.min(lw, lc) * 1000) / (decided * 2), (Math.min(sw, sc) * 1e6) / (5 * words)];
    console.log(`| ${decided} | ${lw.toFixed(2)} | ${lc.toFixed(2)} | ${sw.toFixed(2)} | ${sc.toFixed(2)} | ${perLookup.toFixed(2)} | ${perWord.toFixed(1)} |`);
  }
  cutover.forced = null;
  await engine.close();
}

async function main(): Promise<void> {
  for (const size of SIZES) await measure(size);
  log(`load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

void main();
