// `npm run bench:million`: a 1,000-item and a 1,000,000-item project (built straight into SQLite with
// pre-made 128-d embeddings for the built-in model, signals, exact-duplicate groups and review proposals;
// no pixels are needed by these stages) opened in a fresh process each, timing what the UI calls through
// the API dispatch (the same path as the app, server and CLI):
//   open project + first grid page, a deep grid page (offset N/2: the API-level stand-in for scroll frame
//   timing, which this benchmark does not measure in a browser), filter recount (items.count with a rule +
//   selection.evaluate: first calls from the sorted copies' files, opened with the project and read as counts
//   need them: a values block, prefix bitsets and the id blocks between; timed in fresh processes right after the
//   first page and after an idle pause; repeated; after a write or an insert of new items' values makes them stale), text search (built-in model, warm;
//   as the app chooses: an exact scan, from the saved int8 copy where it is current, or the saved ANN graph where the
//   copy's timed search is over budget and the graph's measured recall passes the gate, with its recall@10 vs the
//   exact option and the gate's measurement), duplicates page, review queue page, export of
//   a 10% selection (manifest, no image copies), resident memory after each stage and peak RSS; and the review
//   page's query alone at the default score floor, from the per-item queue table (migration 27) and by grouping
//   every proposal as before it, back to back in one process. Ratio column: 1M vs 1k (target ≤ 1.5× for UI calls).
// (Built for the current schema: signals carry a run id, exact duplicates are groups in dup_groups/dup_members.)
// Env: BENCH_SIZES (default 1000,1000000), BENCH_REPEATS (5; median), BENCH_ROUNDS (3; interleaved, median), BENCH_IDLE_MS (1000),
// WINNOW_BENCH_DIR (project cache), BENCH_ROWS=filter (only the in-process filter rows: no search, review, export,
// nor the fresh-process recount rows), BENCH_ROWS=recount (the same with the fresh-process recount rows).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createDispatch } from '../main/api/handlers';
import { catchUps, removedSets } from '../main/engine/curate/removed-sets';
import { SignalStore } from '../main/engine/curate/signals';
import { MIN_INDEX_RECALL } from '../main/engine/curate/ann-recall';
import { quantizedScans } from '../main/engine/curate/quantized-scan';
import { itemVector, savedIndex, searchVector } from '../main/engine/curate/search';
import { SEARCH_INDEX_JOB, searchIndexJob } from '../main/engine/curate/search-index-job';
import { Engine } from '../main/engine/engine';
import { DEFAULT_MODEL } from '../main/engine/vision/active-model';
import { log, syntheticProject } from './lib/synthetic-project';

const SIZES = (process.env.BENCH_SIZES ?? '1000,1000000').split(',').map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
/** Rounds, each running every size once in turn (interleaved on a shared machine); the table shows medians over rounds. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const FILTER_ONLY = process.env.BENCH_ROWS === 'filter' || process.env.BENCH_ROWS === 'recount';
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const RULES = [{ id: 'pair', kind: 'signal', signal: 'clip.pair', op: '>=', threshold: 0.25 }];
/** Three rules whose removed sets overlap: the recount needs their union (bitsets, removed-sets.ts). */
const RULES3 = [...RULES, { id: 'words', kind: 'signal', signal: 'caption.words', op: '>', threshold: 8 }, { id: 'dup', kind: 'exact_dup' }];
const mib = (bytes: number) => bytes / 2 ** 20;

/** Adds what the UI views read: two signals per item, 2% exact duplicates, proposals on 10% of items. */
async function build(size: number): Promise<string> {
  const dir = path.join(CACHE, `million-${size}`);
  if (existsSync(path.join(dir, '.million-complete'))) {
    // A project built by an older Winnow: open it once here so schema migrations are not timed as "open".
    const engine = new Engine('cli');
    await engine.openProject(dir, { resume: false });
    await engine.close();
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  log(`building a ${size.toLocaleString('en')}-item project in ${dir}`);
  const engine = new Engine('cli');
  const project = await syntheticProject(engine, dir, size, 128, DEFAULT_MODEL);
  const db = project.db;
  const signal = db.prepare('INSERT INTO signals (item_id, name, value, run_id) VALUES (?, ?, ?, NULL)');
  // Exact duplicates live in their own tables (dup_groups / dup_members): item id-1 keeps, id is removed.
  const group = db.prepare(`INSERT INTO dup_groups (kind, run_id, keeper_id) VALUES ('exact', NULL, ?)`);
  const member = db.prepare('INSERT INTO dup_members (group_id, item_id) VALUES (?, ?)');
  const proposal = db.prepare(`INSERT INTO annotations (item_id, kind, label, score, bbox, origin, params, state, created_by)
    VALUES (?, 'box', ?, ?, '[4,4,16,16]', 'detect', '{"threshold":0.3}', 'proposed', 'bench')`);
  const ids = db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[];
  for (let first = 0; first < ids.length; first += 50_000) {
    db.transaction(() => {
      for (const id of ids.slice(first, first + 50_000)) {
        const h = Math.imul(id, 2654435761) >>> 0;
        signal.run(id, 'clip.pair', (h % 1000) / 2000);
        signal.run(id, 'caption.words', 7 + (h % 5));
        if (id % 50 === 0) {
          const groupId = Number(group.run(id - 1).lastInsertRowid);
          member.run(groupId, id - 1);
          member.run(groupId, id);
        }
        if (id % 10 === 0) proposal.run(id, ['cat', 'dog', 'car'][h % 3], 0.2 + (h % 600) / 1000);
      }
    })();
  }
  await engine.close();
  writeFileSync(path.join(dir, '.million-complete'), '');
  return dir;
}

/** Counts once and waits for the signals' sorted copies, so their files are on disk for the children (as after a first session). */
async function keepSortedCopies(dir: string): Promise<void> {
  const engine = new Engine('cli');
  await engine.openProject(dir, { resume: false });
  const call = createDispatch(engine);
  await call('selection.evaluate', { rules: RULES3 });
  await removedSets(engine.requireProject().db).idle();
  await engine.close();
}

/**
 * What search uses on a large project, built once by the app's own job (search.index) where a search would start
 * it (an exact scan over budget, and the int8 copy missing, stale or untimed, or, the copy over budget, the graph
 * missing, stale or unmeasured: search.ts), so the search rows time what a curator gets. Logs what the job did.
 */
async function ensureSearchIndex(dir: string): Promise<void> {
  const engine = new Engine('cli');
  const project = await engine.openProject(dir, { resume: false });
  const set = project.embeddings.getSet(DEFAULT_MODEL)!;
  const probe = searchVector(project, set, itemVector(project, set, project.db.prepare('SELECT min(item_id) FROM embedding_rows').pluck().get() as number)!, 10);
  if (probe.slowExact && probe.unproven) {
    const t0 = performance.now();
    const job = await project.jobs.wait(project.jobs.start(SEARCH_INDEX_JOB, { model: set.model }).id);
    if (job.state !== 'done') throw new Error(`search index ${job.state}: ${job.error}`);
    log(`search indexes for ${dir} (graph ${probe.index} before) done in ${((performance.now() - t0) / 1000).toFixed(1)} s (load ${os.loadavg()[0].toFixed(1)}): ${JSON.stringify(project.jobs.result(searchIndexJob(project, engine.active), job.id))}`);
  }
  await engine.close();
}

/** Text queries for the recall row: the built-in model's text tower puts them off every planted vector, as real text queries are off image vectors. */
const RECALL_QUERIES = ['a photo of a red circle', 'a blue square on white', 'two green triangles', 'a yellow star', 'a dark photo of a car',
  'a dog on grass', 'a cat in a box', 'a purple heart', 'an orange cross', 'a small black hexagon'];

/** Idle time before the second kind of first recount: a user's pause between the first grid paint and a filter edit. */
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? 1000);

/**
 * Child: the first recount of a freshly opened project in its own process, right after open + count + first grid
 * page (`idle` 0), or after `idle` ms more (anything the open left running has finished). The sorted copies' files
 * are opened with the project and the recount reads the blocks it needs (sorted-file.ts). Prints JSON timings in
 * ms, with the process's CPU time.
 */
async function recountChild(dir: string, idle: number): Promise<void> {
  process.env.WINNOW_HOME = path.join(CACHE, 'million-home');
  const engine = new Engine('cli');
  const call = createDispatch(engine);
  const t0 = performance.now();
  await call('project.open', { dir });
  await call('items.count', {});
  await call('items.page', { offset: 0, limit: 200 });
  const open = performance.now() - t0;
  if (idle > 0) await new Promise((resolve) => setTimeout(resolve, idle));
  const cpu0 = process.cpuUsage();
  const t1 = performance.now();
  for (const rules of [RULES, RULES3]) {
    await call('items.count', { selection: { rules, show: 'kept' } });
    await call('selection.evaluate', { rules });
  }
  const recount = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  await engine.close();
  process.stdout.write(JSON.stringify({ open, recount, cpu: (cpu.user + cpu.system) / 1000 }));
}

/** Child: one size in a fresh process, so peak RSS is its own. Prints JSON timings in ms. */
async function child(dir: string, size: number): Promise<void> {
  process.env.WINNOW_HOME = path.join(CACHE, 'million-home');
  const engine = new Engine('cli');
  const call = createDispatch(engine);
  const time = async (fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    return performance.now() - t0;
  };
  const out: Record<string, number> = {};
  // Resident memory after each stage, to say what grows with the project (peak RSS alone does not).
  const rss = (name: string) => {
    const m = process.memoryUsage();
    out[`rss_${name}`] = mib(m.rss);
    out[`ab_${name}`] = mib(m.arrayBuffers);
  };
  rss('start');
  out.open = await time(async () => {
    await call('project.open', { dir });
    await call('items.count', {});
    await call('items.page', { offset: 0, limit: 200 });
  });
  rss('open');
  const repeat = async (name: string, fn: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let r = 0; r < REPEATS; r++) times.push(await time(fn));
    out[name] = median(times);
  };
  await repeat('firstPage', () => call('items.page', { offset: 0, limit: 200 }));
  await repeat('deepPage', () => call('items.page', { offset: Math.floor(size / 2), limit: 200 }));
  const recount = (rules: unknown[]) => async () => {
    await call('items.count', { selection: { rules, show: 'kept' } });
    await call('selection.evaluate', { rules });
  };
  // The first recount of a reopened project reads the signals' sorted copies from their files (sorted-file.ts,
  // written by the previous process: see keepSortedCopies); without a current file it counts with SQL and reads
  // the signal sorted in the background (removed-sets.ts), which the app never waits for and the benchmark does.
  const sets = removedSets(engine.requireProject().db);
  const cpu0 = process.cpuUsage();
  out.filterFirst = await time(async () => { await recount(RULES)(); await recount(RULES3)(); });
  const cpu1 = process.cpuUsage(cpu0);
  out.filterFirstCpu = (cpu1.user + cpu1.system) / 1000;
  out.filterWarm = await time(() => sets.idle());
  await repeat('filterRecount', recount(RULES));
  await repeat('filterRecount3', recount(RULES3));
  const sliding = RULES.map((r) => ({ ...r, threshold: 0.1 }));
  await repeat('filterSlide', async () => {
    // A threshold handle dragged: a new threshold each call, the sorted values reused.
    sliding[0].threshold = Math.round((sliding[0].threshold + 0.037) * 1000 % 500) / 1000;
    await recount(sliding)();
  });
  // A decision by hand on one item (then taken back, so the cached project stays as built): the 3-rule recount after it.
  const decided = engine.requireProject().db.prepare('SELECT min(id) FROM items').pluck().get() as number;
  await call('decide.set', { ids: [decided], decision: 'exclude' });
  let cpu = process.cpuUsage();
  out.filterAfterDecision = await time(recount(RULES3));
  cpu = process.cpuUsage(cpu);
  out.filterAfterDecisionCpu = (cpu.user + cpu.system) / 1000;
  await call('decide.set', { ids: [decided], decision: null });
  // A write to the signal (here one row rewritten as it was) makes its sorted copy and file stale: the next recount
  // overlays the copy with the rows signal_log names (migrations 28, 30; signal-overlay.ts), nothing of the copy read.
  engine.requireProject().db.prepare(`UPDATE signals SET value = value WHERE name = 'clip.pair' AND item_id = (SELECT min(id) FROM items)`).run();
  cpu = process.cpuUsage();
  out.filterAfterWrite = await time(recount(RULES));
  cpu = process.cpuUsage(cpu);
  out.filterAfterWriteCpu = (cpu.user + cpu.system) / 1000;
  out.filterRebuild = await time(() => sets.idle());
  // A job writing values for items that had none in the sorted copy: 10 items added (recounted untimed, the signal
  // unchanged), then their values written through the jobs' upsert. The next recount overlays the copy with them:
  // migration 31 logs the row a REPLACE deletes, so a logged insert with no old value proves the item had no row (before
  // it, the copy was read whole and merged). The items are deleted after, so the cached project stays as built.
  const pdb = engine.requireProject().db;
  const added = pdb.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256)
    SELECT source_id, 'bench-insert-' || id, uri, format, width, height, bytes, 'bench-insert-' || id FROM items ORDER BY id LIMIT 10 RETURNING id`).pluck().all() as number[];
  await recount(RULES)();
  const store = new SignalStore(pdb);
  pdb.transaction(() => added.forEach((id, k) => store.set(id, 'clip.pair', k / 10, null)))();
  const overlaid = catchUps.overlaid;
  cpu = process.cpuUsage();
  out.filterAfterInsert = await time(recount(RULES));
  cpu = process.cpuUsage(cpu);
  out.filterAfterInsertCpu = (cpu.user + cpu.system) / 1000;
  out.filterAfterInsertOverlaid = catchUps.overlaid - overlaid;
  pdb.prepare('DELETE FROM items WHERE id IN (SELECT value FROM json_each(?))').run(JSON.stringify(added));
  await recount(RULES)();
  await sets.idle();
  rss('filter');
  if (FILTER_ONLY) {
    out.peakMiB = process.resourceUsage().maxRSS / 1024;
    await engine.close();
    process.stdout.write(JSON.stringify(out));
    return;
  }
  out.searchFirst = await time(() => call('search.text', { query: 'a photo of a red circle', k: 50 }));
  const searchCpu0 = process.cpuUsage();
  const bounded0 = quantizedScans.bounded;
  await repeat('search', () => call('search.text', { query: 'a photo of a red circle', k: 50 }));
  const searchCpu = process.cpuUsage(searchCpu0);
  out.searchCpu = (searchCpu.user + searchCpu.system) / 1000 / REPEATS;
  out.searchBounded = (quantizedScans.bounded - bounded0) / REPEATS;
  const chosen = (await call('search.text', { query: 'a photo of a red circle', k: 50 })) as { method: string; index: string; scanMs?: number; indexRecall?: number };
  out.searchIndexUsed = chosen.method === 'index' ? 1 : 0;
  out.graphNotNeeded = chosen.index === 'not-needed' ? 1 : 0;
  if (chosen.scanMs !== undefined) out.scanMs = chosen.scanMs;
  if (chosen.indexRecall !== undefined) out.indexRecall = chosen.indexRecall;
  {
    // The graph's own gate measurement.
    const project = engine.requireProject();
    const set = project.embeddings.getSet(DEFAULT_MODEL)!;
    const graph = savedIndex(project, set, project.embeddings.committedImageRows(set)).recall;
    if (graph) out.graphRecall = graph.recall;
  }
  rss('search');
  await repeat('duplicates', () => call('duplicates.groups', { kind: 'exact', offset: 0, limit: 50 }));
  await repeat('review', () => call('review.queue', { offset: 0, limit: 100 }));
  // The page review.queue reads by default (the labels model's score floor): from the per-item table's floored
  // index (migration 27), and by grouping every proposal with the floor as before it, same process and load.
  const db = engine.requireProject().db;
  const floor = db.prepare('SELECT min_score FROM review_floor').pluck().get() as number;
  const grouped = db.prepare(`SELECT a.item_id, sum(a.state = 'proposed') pending, count(*) total,
      min(CASE WHEN a.state = 'proposed' THEN abs(a.score - coalesce(json_extract(a.params, '$.threshold'), 0.5)) END) uncertainty
    FROM annotations a WHERE a.origin != 'source' AND a.superseded_by IS NULL AND (a.state != 'proposed' OR a.score IS NULL OR a.score >= ?)
    GROUP BY a.item_id ORDER BY pending = 0, uncertainty IS NULL, uncertainty, a.item_id LIMIT 100`);
  const indexed = db.prepare('SELECT item_id, fpending, ftotal, funcertainty FROM review_queue WHERE ftotal > 0 ORDER BY fpending = 0, funcertainty IS NULL, funcertainty, item_id LIMIT 100');
  await repeat('reviewPageGrouped', async () => grouped.all(floor));
  await repeat('reviewPageIndexed', async () => indexed.all());
  rss('review');
  await call('selection.save', { name: 'top10', rules: [{ id: 'top', kind: 'signal', signal: 'clip.pair', keepTop: 0.1 }] });
  const dest = path.join(CACHE, `million-export-${size}-${process.pid}`);
  const t0 = performance.now();
  const { jobId } = (await call('export.start', { format: 'manifest', dest, selection: 'top10', options: { copyImages: false } })) as { jobId: number };
  const job = await engine.requireProject().jobs.wait(jobId);
  out.export = performance.now() - t0;
  out.exported = job.total ?? 0;
  if (job.state !== 'done') throw new Error(`export ${job.state}: ${job.error}`);
  rmSync(dest, { recursive: true, force: true });
  rss('export');
  const mem = process.memoryUsage();
  out.heapMiB = mib(mem.heapUsed);
  out.arrayBuffersMiB = mib(mem.arrayBuffers);
  out.peakMiB = process.resourceUsage().maxRSS / 1024;
  // Last, since an exact scan makes the matrix resident (rows × dim × 4 bytes): the exact option's time, and the
  // recall@10 of the search the app chose (1.0 where it scanned exactly) vs the exact option, over 10 text queries.
  const text = (query: string, exact: boolean) => call('search.text', { query, k: 10, ...(exact && { exact }) }) as Promise<{ hits: { itemId: number }[] }>;
  await text(RECALL_QUERIES[0], true); // the first exact scan streams the file; the second makes it resident
  await repeat('searchExact', () => call('search.text', { query: 'a photo of a red circle', k: 50, exact: true }));
  let found = 0;
  for (const q of RECALL_QUERIES) {
    const truth = new Set((await text(q, true)).hits.map((h) => h.itemId));
    found += (await text(q, false)).hits.filter((h) => truth.has(h.itemId)).length;
  }
  out.searchRecall = found / (10 * RECALL_QUERIES.length);
  out.peakWithExactMiB = process.resourceUsage().maxRSS / 1024;
  await engine.close();
  process.stdout.write(JSON.stringify(out));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], Number(process.argv[4]));
  if (process.argv[2] === '--recount-child') return recountChild(process.argv[3], Number(process.argv[4]));
  mkdirSync(CACHE, { recursive: true });
  const dirs: string[] = [];
  for (const size of SIZES) dirs.push(await build(size));
  for (const dir of dirs) await keepSortedCopies(dir);
  if (!FILTER_ONLY) for (const dir of dirs) await ensureSearchIndex(dir);
  const runs: Record<string, number>[][] = SIZES.map(() => []);
  const loads: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const [k, size] of SIZES.entries()) {
      const res = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', dirs[k], String(size)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      if (res.status !== 0) throw new Error(`child for ${size} failed: status ${res.status}, signal ${res.signal}`);
      const run = JSON.parse(res.stdout) as Record<string, number>;
      // The first recount of a fresh process, right after open + first page and after IDLE_MS more (recountChild).
      for (const [key, idle] of process.env.BENCH_ROWS === 'filter' ? [] : [['recountNow', 0], ['recountIdle', IDLE_MS]] as const) {
        const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--recount-child', dirs[k], String(idle)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
        if (r.status !== 0) throw new Error(`recount child for ${size} failed: status ${r.status}, signal ${r.signal}`);
        const { recount, cpu } = JSON.parse(r.stdout) as Record<string, number>;
        Object.assign(run, { [key]: recount, [`${key}Cpu`]: cpu });
      }
      runs[k].push(run);
      loads.push(os.loadavg()[0].toFixed(1));
    }
    log(`round ${round + 1}/${ROUNDS} done (load ${loads.slice(-SIZES.length).join(', ')})`);
  }
  writeFileSync(path.join(CACHE, 'million-runs.json'), JSON.stringify({ sizes: SIZES, loads, runs }, null, 1));
  const results = runs.map((list) => Object.fromEntries(Object.keys(list[0]).map((key) => [key, median(list.map((r) => r[key]))])));
  const [small, big] = [results[0], results.at(-1)!];
  const label = (n: number) => n.toLocaleString('en');
  const rows: [string, string][] = [
    ['open project + count + first grid page (ms, first call)', 'open'],
    ['grid page, offset 0 (ms)', 'firstPage'],
    ['grid page, offset N/2 (ms; stand-in for scrolling)', 'deepPage'],
    ['filter recount, first calls (1 rule, then 3) right after open + count + first grid page, fresh process; reads the blocks of the sorted copies\' files it needs (ms)', 'recountNow'],
    ['  CPU time of those calls (ms)', 'recountNowCpu'],
    [`the same after open + first grid page + ${IDLE_MS} ms idle, fresh process (ms)`, 'recountIdle'],
    ['  CPU time of those calls (ms)', 'recountIdleCpu'],
    ['filter recount, first calls (1 rule, then 3), after open + 10 grid pages (ms)', 'filterFirst'],
    ['  CPU time of those calls (ms)', 'filterFirstCpu'],
    ['  background reads still running after them (ms)', 'filterWarm'],
    ['filter recount: items.count + selection.evaluate, 1 rule (ms)', 'filterRecount'],
    ['filter recount, 3 overlapping rules (2 signals + exact duplicates) (ms)', 'filterRecount3'],
    ['filter recount while dragging a threshold (new value each call) (ms)', 'filterSlide'],
    ['first recount after a decision by hand on one item, 3 rules (ms)', 'filterAfterDecision'],
    ['  CPU time of those calls (ms)', 'filterAfterDecisionCpu'],
    ['first recount after a write to the signal (copy caught up from signal_log: the old copy overlaid with the changed items) (ms)', 'filterAfterWrite'],
    ['  CPU time of those calls (ms)', 'filterAfterWriteCpu'],
    ['  background work after them (ms; the file is rewritten only once half the log is spent)', 'filterRebuild'],
    ['first recount after an insert of new items\' values (10 new items\' rows through the jobs\' upsert; the copy overlaid with them) (ms)', 'filterAfterInsert'],
    ['  CPU time of those calls (ms)', 'filterAfterInsertCpu'],
    ['  copies overlaid by them (1: overlaid; 0: read whole and merged, as before migration 31)', 'filterAfterInsertOverlaid'],
    ['text search k=50, first call incl. text tower load + matrix read (ms)', 'searchFirst'],
    ['text search k=50, warm, as the app chooses (ms)', 'search'],
    ['  CPU time per call (ms; both cores count, the native scans use them)', 'searchCpu'],
    ['  answered by the ANN index (1) or an exact scan (0): the index only when its measured recall passes the gate', 'searchIndexUsed'],
    [`  the answering index's recall@10 vs exact as the gate measured it (text + image probes; used at ≥ ${MIN_INDEX_RECALL})`, 'indexRecall'],
    ['    the HNSW graph\'s measured recall@10 (answers when it passes)', 'graphRecall'],
    ['  no graph needed (1): the int8 copy\'s exact search, timed by search.index, within the budget', 'graphNotNeeded'],
    ['    that timing (ms per search, idle machine: min of wall and CPU; the slower of text and image probes)', 'scanMs'],
    ['  share of warm calls answered exactly from the saved int8 copy, its bound proving the top k (1: all)', 'searchBounded'],
    ['  the exact option (exact: true), warm, from the saved int8 copy (ms)', 'searchExact'],
    ['  recall@10 of the app\'s choice vs the exact option, 10 text queries', 'searchRecall'],
    ['duplicates page, exact, 50 groups (ms)', 'duplicates'],
    ['review queue page, 100 items (ms)', 'review'],
    ['  of which the floored page query, per-item table (migration 27) (ms)', 'reviewPageIndexed'],
    ['  the same page grouping every proposal with the floor, as before migration 27 (ms)', 'reviewPageGrouped'],
    ['export 10% selection, manifest without images (ms)', 'export'],
    ['RSS at start (MiB)', 'rss_start'],
    ['RSS after open + first page (MiB)', 'rss_open'],
    ['RSS after filter recounts (MiB)', 'rss_filter'],
    ['RSS after search (MiB; the saved int8 copy\'s codes resident, rows × dim bytes, never the float32 matrix)', 'rss_search'],
    ['RSS after review (MiB)', 'rss_review'],
    ['RSS after export (MiB)', 'rss_export'],
    ['  JS heap used at the end (MiB)', 'heapMiB'],
    ['  array buffers after filter recounts (MiB; sorted signals, bitsets)', 'ab_filter'],
    ['  array buffers after search (MiB; + the int8 copy\'s codes)', 'ab_search'],
    ['  array buffers at the end (MiB)', 'arrayBuffersMiB'],
    ['peak RSS (MiB)', 'peakMiB'],
    ['peak RSS after the exact-search rows (MiB; exact: true also answers from the saved int8 copy, the float32 matrix never resident)', 'peakWithExactMiB'],
  ];
  console.log(`\nMillion-item benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}; 1-min load average after each child ${loads.join(', ')}; API dispatch in-process; medians of ${REPEATS} calls, then the median over ${ROUNDS} interleaved rounds; no browser frame timing)\n`);
  console.log(`| measure | ${label(SIZES[0])} items | ${label(SIZES.at(-1)!)} items | ratio |`);
  console.log('| --- | ---: | ---: | ---: |');
  const cell = (v: number | undefined, key?: string) => (v === undefined ? 'n/a' : v.toFixed(key && /Recall$|^searchRecall$/.test(key) ? 3 : 1));
  for (const [name, key] of rows) if (small[key] !== undefined || big[key] !== undefined) console.log(`| ${name} | ${cell(small[key], key)} | ${cell(big[key], key)} | ${small[key] && big[key] ? `${(big[key] / small[key]).toFixed(2)}×` : 'n/a'} |`);
  if (!FILTER_ONLY) console.log(`| export throughput (items/s) | ${(small.exported / (small.export / 1000)).toFixed(0)} | ${(big.exported / (big.export / 1000)).toFixed(0)} | ${((big.exported / big.export) / (small.exported / small.export)).toFixed(2)}× |`);
}

await main();
