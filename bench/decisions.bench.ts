// `npm run bench:decisions`: what deciding by hand costs the grid at scale. A synthetic project (default
// 100,000 items, BENCH_SIZE) with two signals per item, 2% perceptual duplicate groups and 5% of items
// decided by hand; timed through the API dispatch (the app's path): one grid page + its tile marks
// (reasons, decisions, tags for 200 items under the default rules), the rule-list recount with decisions
// by hand applied (items.count + selection.evaluate), the first page of a rule's gallery, Ctrl-A →
// ids of every item (items.ids), and a bulk exclude of 10,000 items. Median of BENCH_REPEATS (5).
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { createDispatch } from '../main/api/handlers';
import { Engine } from '../main/engine/engine';
import { defaultRules } from '../main/engine/curate/rules';
import { DEFAULT_MODEL } from '../main/engine/vision/active-model';
import { log, syntheticProject } from './lib/synthetic-project';

const SIZE = Number(process.env.BENCH_SIZE ?? 100_000);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main(): Promise<void> {
  const dir = path.join(os.tmpdir(), `winnow-bench-decisions-${process.pid}`);
  process.env.WINNOW_HOME = path.join(dir, 'home');
  rmSync(dir, { recursive: true, force: true });
  log(`building a ${SIZE.toLocaleString('en')}-item project`);
  const engine = new Engine('cli');
  const project = await syntheticProject(engine, path.join(dir, 'p'), SIZE, 16, DEFAULT_MODEL);
  const db = project.db;
  const ids = db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];
  const signal = db.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?)');
  const group = db.prepare(`INSERT INTO dup_groups (kind, keeper_id) VALUES ('phash', ?)`);
  const member = db.prepare('INSERT INTO dup_members (group_id, item_id) VALUES (?, ?)');
  const decide = db.prepare(`INSERT INTO manual_decisions (item_id, decision, decided_by, via) VALUES (?, ?, 'bench', 'bench')`);
  db.transaction(() => {
    for (const id of ids) {
      const h = Math.imul(id, 2654435761) >>> 0;
      signal.run(id, 'caption.words', h % 9);
      signal.run(id, 'image.min_side', 100 + (h % 400));
      if (id % 100 === 0) {
        const g = group.run(id - 1).lastInsertRowid;
        member.run(g, id - 1);
        member.run(g, id);
      }
      if (id % 20 === 0) decide.run(id, h % 2 ? 'keep' : 'exclude');
    }
  })();
  const call = createDispatch(engine);
  const rules = defaultRules();
  const time = async (fn: () => Promise<unknown>) => { const t0 = performance.now(); await fn(); return performance.now() - t0; };
  const cases: Record<string, () => Promise<unknown>> = {
    'grid page (200 items, offset N/2)': () => call('items.page', { offset: Math.floor(SIZE / 2), limit: 200 }),
    'tile marks of that page (items.marks, default rules)': () => call('items.marks', { ids: ids.slice(Math.floor(SIZE / 2), Math.floor(SIZE / 2) + 200), rules }),
    'kept recount with decisions by hand (items.count)': () => call('items.count', { selection: { rules, show: 'kept' } }),
    'selection.evaluate (rules + decisions by hand)': () => call('selection.evaluate', { rules }),
    'rule gallery: count + first page (min_side, only)': async () => {
      const selection = { rules, show: 'removed', rule: 'min_side', only: true };
      await call('items.count', { selection });
      await call('items.page', { offset: 0, limit: 200, selection });
    },
    'Ctrl-A → every id (items.ids, kept view)': () => call('items.ids', { offset: 0, limit: Math.min(SIZE, 100_000), selection: { rules, show: 'kept' } }),
    'bulk exclude 10,000 items (decide.set)': () => call('decide.set', { ids: ids.slice(0, 10_000), decision: 'exclude', via: 'bench' }),
  };
  const rows: string[] = [];
  for (const [name, fn] of Object.entries(cases)) {
    const t = [];
    for (let i = 0; i < REPEATS; i++) t.push(await time(fn));
    rows.push(`${name.padEnd(52)} ${median(t).toFixed(1).padStart(9)} ms`);
  }
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  console.log(`decisions bench, ${SIZE.toLocaleString('en')} items, median of ${REPEATS}\n${rows.join('\n')}`);
}

void main();
