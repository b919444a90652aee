// npm run bench:ingest — import throughput and peak memory for 10k vs 100k small images + caption sidecars,
// each import in a fresh process, against a floor measured in the same run: a synchronous walk that reads
// every image and caption file and sha256-hashes it (what an import cannot avoid). Import and floor runs are
// interleaved (WINNOW_BENCH_ROUNDS, default 3), each round printed with the load average, and medians reported:
// the machine may be shared. WINNOW_BENCH_BASE=<another checkout> interleaves that checkout's import too (A/B).
// The import timed is the whole job: its source count runs alongside the import, caption sidecars and images
// are read and hashed on a worker thread (file-reads.ts) while the main thread walks and writes SQLite.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const SIZES = (process.env.WINNOW_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const PER_FOLDER = 1000;
const ROUNDS = Number(process.env.WINNOW_BENCH_ROUNDS ?? 3);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** The floor: read + sha256 every file under `dir`, synchronously, one at a time (wall and CPU seconds). */
function readAndHashFloor(dir: string): { seconds: number; cpu: number } {
  const t0 = performance.now();
  const c0 = cpuSeconds();
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const full = path.join(d, e.name);
      if (e.isDirectory()) visit(full);
      else createHash('sha256').update(readFileSync(full)).digest('hex');
    }
  };
  visit(dir);
  return { seconds: (performance.now() - t0) / 1000, cpu: cpuSeconds() - c0 };
}

async function makeFolder(count: number): Promise<string> {
  const dir = path.join(CACHE, `ingest-${count}`);
  if (existsSync(path.join(dir, '.complete'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`generating ${count.toLocaleString('en')} images in ${dir}…\n`);
  for (let i = 0; i < count; i++) {
    const sub = path.join(dir, `part-${String(Math.floor(i / PER_FOLDER)).padStart(4, '0')}`);
    if (i % PER_FOLDER === 0) mkdirSync(sub, { recursive: true });
    const name = `img-${String(i).padStart(7, '0')}`;
    const img = await sharp({ create: { width: 24 + (i % 9), height: 24, channels: 3, background: { r: i % 256, g: (i >> 8) % 256, b: (i >> 16) % 256 } } }).jpeg({ quality: 70 }).toBuffer();
    writeFileSync(path.join(sub, `${name}.jpg`), img);
    writeFileSync(path.join(sub, `${name}.txt`), `synthetic benchmark image number ${i}`);
  }
  writeFileSync(path.join(dir, '.complete'), '');
  return dir;
}

/** Runs in a child process so each size's peak RSS is its own; `root` is the checkout whose engine imports. */
async function child(folder: string, root: string): Promise<void> {
  const { Engine } = (await import(pathToFileURL(path.join(root, 'main', 'engine', 'engine.ts')).href)) as typeof import('../main/engine/engine');
  const home = path.join(CACHE, `home-${process.pid}`);
  process.env.WINNOW_HOME = home;
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(home, 'project'));
  // rss() alone: a full memoryUsage() every 50 ms showed in the import's profile.
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 50);
  const started = performance.now();
  const c0 = cpuSeconds();
  const job = await project.jobs.wait((await engine.addSource(folder)).jobId);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - c0;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const items = project.items.count();
  await engine.close();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ items, seconds, cpu, peakMiB: peak / 2 ** 20, state: job.state }));
}

type Run = { items: number; seconds: number; cpu: number; peakMiB: number };

/**
 * One import of `folder` in a fresh process, by the engine of the checkout at `root` (this one, or WINNOW_BENCH_BASE's),
 * timed by this file's child code either way.
 */
function importIn(root: string, folder: string): Run {
  const res = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', folder, root], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (res.status !== 0) throw new Error(`import child in ${root} failed`);
  return JSON.parse(res.stdout) as Run;
}

const load = () => os.loadavg()[0].toFixed(1);

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4] ?? path.resolve(import.meta.dirname, '..'));
  // WINNOW_BENCH_BASE: another checkout of Winnow (e.g. the main branch, with node_modules) whose import is
  // interleaved with this one's, each against the same rounds' floor: an A/B under the same load.
  const baseRoot = process.env.WINNOW_BENCH_BASE;
  const here = path.resolve(import.meta.dirname, '..');
  const load0 = os.loadavg()[0];
  const rows: { size: number; label: string; items: number; seconds: number; cpu: number; peakMiB: number; floor: number; floorCpu: number; ratio: number; cpuRatio: number }[] = [];
  const abLines: string[] = [];
  for (const size of SIZES) {
    const folder = await makeFolder(size);
    const sides = [{ label: 'this checkout', root: here, runs: [] as Run[] }, ...(baseRoot ? [{ label: `base (${path.basename(baseRoot)})`, root: baseRoot, runs: [] as Run[] }] : [])];
    const floors: { seconds: number; cpu: number }[] = [];
    console.log(`\n${size.toLocaleString('en')} images, per round (wall s / CPU s, ratio to that round's floor):`);
    for (let r = 0; r < ROUNDS; r++) {
      const floor = readAndHashFloor(folder);
      floors.push(floor);
      // The order alternates per round, so neither side always runs right after the floor.
      const order = r % 2 ? [...sides].reverse() : sides;
      for (const side of order) side.runs.push(importIn(side.root, folder));
      const cells = sides.map((sd) => {
        const run = sd.runs[r];
        return `${sd.label} ${run.seconds.toFixed(2)} / ${run.cpu.toFixed(2)} (${(run.seconds / floor.seconds).toFixed(2)}× / ${(run.cpu / floor.cpu).toFixed(2)}×)`;
      });
      console.log(`  round ${r + 1}, load ${load()}: floor ${floor.seconds.toFixed(2)} / ${floor.cpu.toFixed(2)}; ${cells.join('; ')}`);
    }
    for (const side of sides) {
      const mid = side.runs.find((x) => x.seconds === median(side.runs.map((y) => y.seconds)))!;
      // Ratios per round (each import against its own round's floor), then their median: the floor swings with the load too.
      const ratio = median(side.runs.map((x, r) => x.seconds / floors[r].seconds));
      const cpuRatio = median(side.runs.map((x, r) => x.cpu / floors[r].cpu));
      rows.push({ size, label: side.label, ...mid, cpu: median(side.runs.map((x) => x.cpu)), floor: median(floors.map((f) => f.seconds)), floorCpu: median(floors.map((f) => f.cpu)), ratio, cpuRatio });
    }
    if (sides.length === 2) {
      const [a, b] = sides;
      const wall = median(a.runs.map((x, r) => x.seconds / b.runs[r].seconds));
      const cpu = median(a.runs.map((x, r) => x.cpu / b.runs[r].cpu));
      abLines.push(`| ${size.toLocaleString('en')} | ${wall.toFixed(2)} | ${cpu.toFixed(2)} |`);
    }
  }
  const base = rows[0];
  console.log(`\nIngest benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}; load average ${load0.toFixed(1)} → ${load()}; medians of ${ROUNDS} interleaved rounds): walk + sidecar caption + header probe + sha256 + SQLite, one process per import\n`);
  // CPU seconds (user + system, every thread of the import's process) alongside wall time: on a loaded machine
  // the wall ratio swings with whoever else runs, the CPU ratio much less.
  // "vs floor" columns: the median of the per-round ratios (not a ratio of medians).
  console.log('| images | import | items/s | seconds | floor: read + sha256, sync (s) | vs floor | CPU s | floor CPU s | CPU vs floor | peak RSS (MiB) | items vs first | peak RSS vs first |');
  console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.size.toLocaleString('en')} | ${r.label} | ${(r.items / r.seconds).toFixed(0)} | ${r.seconds.toFixed(2)} | ${r.floor.toFixed(2)} | ${r.ratio.toFixed(2)}× | ${r.cpu.toFixed(2)} | ${r.floorCpu.toFixed(2)} | ${r.cpuRatio.toFixed(2)}× | ${r.peakMiB.toFixed(0)} | ${(r.items / base.items).toFixed(1)}× | ${(r.peakMiB / base.peakMiB).toFixed(2)}× |`);
  }
  if (abLines.length) {
    console.log('\nA/B, this checkout / base, median of the per-round ratios (below 1: this checkout is faster):\n');
    console.log('| images | wall | CPU |');
    console.log('| ---: | ---: | ---: |');
    for (const l of abLines) console.log(l);
  }
}

await main();
