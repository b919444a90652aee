// `npm run bench:signal-write`: what migration 31's triggers cost the jobs that write signals. Migration 31 adds a
// BEFORE INSERT trigger (a primary-key lookup on every signal insert; on an upsert onto an existing row, one more
// change version logged) and a BEFORE UPDATE trigger for rows moved to another key, so a sorted copy can overlay an
// insert instead of reading itself whole; it logs an update that keeps its key once instead of twice. Two passes of
// BENCH_ROWS rows (default 100,000) of one signal through SignalStore.set (the jobs' upsert), committed in batches of
// BENCH_BATCH (default 64, the stats job's): values for items that had none (a job on new items), then new values
// for the same items (a job run again). "before": the same project with schema 30's triggers, open beside it;
// slices of the two alternate. CPU time per row beside wall time (the machine is shared), and the load average.
// BENCH_BATCH=100000: one transaction per slice, the triggers' share of the SQL alone (no commits).
import { mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignalStore } from '../main/engine/curate/signals';
import { openDatabase } from '../main/engine/store/database';
import { migrations } from '../main/engine/store/migrations';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 64);
/** Rows per timed slice: slices of the two projects alternate, so load swings hit both alike. */
const SLICE = Number(process.env.BENCH_SLICE ?? 5_000);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** Schema 30's update trigger (it logged an update that keeps its key twice), from migration 30 itself. */
const SCHEMA_30_UPDATE = /CREATE TRIGGER change_signals_update [\s\S]*?END;/.exec(migrations.find((m) => m.version === 30)!.sql)![0];

type Mode = 'before' | 'after';
type Pass = 'insert' | 'rescore';

function project(mode: Mode) {
  const dir = path.join(os.tmpdir(), `winnow-bench-signal-write-${process.pid}-${mode}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const db = openDatabase(path.join(dir, 'project.sqlite'));
  if (mode === 'before') db.exec(`DROP TRIGGER change_signals_replace; DROP TRIGGER change_signals_move; DROP TRIGGER change_signals_update; ${SCHEMA_30_UPDATE}`);
  db.prepare(`INSERT INTO sources (kind, path, root, name) VALUES ('folder', '/d', '/d', 'd')`).run();
  const item = db.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (1, ?, ?, 'jpg', 10, 10, 1, ?)`);
  db.transaction(() => { for (let k = 1; k <= ROWS; k++) item.run(`k${k}`, `/d/${k}.jpg`, `s${k}`); })();
  // Another signal on every item, as a project has when a job adds one: the table and its index are not empty.
  const other = db.prepare(`INSERT INTO signals (item_id, name, value) VALUES (?, 'image.sharpness', ?)`);
  db.transaction(() => { for (let k = 1; k <= ROWS; k++) other.run(k, (k % 997) / 997); })();
  return { db, dir, signals: new SignalStore(db) };
}

/** Writes rows [from, to) of `pass` in job batches; CPU and wall ms. */
function slice(p: ReturnType<typeof project>, pass: Pass, from: number, to: number): { wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let at = from; at < to; at += BATCH) {
    p.db.transaction(() => {
      for (let id = at; id < Math.min(at + BATCH, to); id++) p.signals.set(id, 'job.score', ((id * 7919) % 1000) / 1000 + (pass === 'rescore' ? 0.0001 : 0), null);
    })();
  }
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000 };
}

function main(): void {
  const projects = { before: project('before'), after: project('after') };
  const loads: string[] = [os.loadavg()[0].toFixed(1)];
  const us = (ms: number) => ((ms * 1000) / SLICE).toFixed(2);
  console.log(`\n${ROWS.toLocaleString('en')} rows of one signal per pass through SignalStore.set, batches of ${BATCH}; slices of ${SLICE.toLocaleString('en')} rows alternating before/after (order swapped each slice); CPU and wall per row, median and min over slices\n`);
  console.log('| pass | before: CPU µs/row (median, min) | after: CPU µs/row (median, min) | CPU ratio (medians) | before: wall µs/row | after: wall µs/row | wall ratio |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [pass, label] of [['insert', 'values for items that had none (a job on new items)'], ['rescore', 'new values for the same items (the job run again: upsert onto existing rows)']] as const) {
    const times: Record<Mode, { wall: number; cpu: number }[]> = { before: [], after: [] };
    for (let from = 1, n = 0; from <= ROWS; from += SLICE, n++) {
      for (const mode of (n % 2 ? ['after', 'before'] : ['before', 'after']) as Mode[]) times[mode].push(slice(projects[mode], pass, from, Math.min(from + SLICE, ROWS + 1)));
    }
    loads.push(os.loadavg()[0].toFixed(1));
    const [b, a] = (['before', 'after'] as const).map((m) => ({ cpu: median(times[m].map((t) => t.cpu)), min: Math.min(...times[m].map((t) => t.cpu)), wall: median(times[m].map((t) => t.wall)) }));
    console.log(`| ${label} | ${us(b.cpu)}, ${us(b.min)} | ${us(a.cpu)}, ${us(a.min)} | ${(a.cpu / b.cpu).toFixed(2)} | ${us(b.wall)} | ${us(a.wall)} | ${(a.wall / b.wall).toFixed(2)} |`);
  }
  console.log(`\n1-min load average at the start and after each pass: ${loads.join(', ')}`);
  for (const p of Object.values(projects)) {
    p.db.close();
    rmSync(p.dir, { recursive: true, force: true });
  }
}

main();
