// npm run bench:ingest — import throughput and peak memory for 10k vs 100k small images, each in a fresh process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../main/engine/engine';

const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const SIZES = (process.env.WINNOW_BENCH_SIZES ?? '10000,100000').split(',').map(Number);
const PER_FOLDER = 1000;

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

/** Runs in a child process so each size's peak RSS is its own. */
async function child(folder: string): Promise<void> {
  const home = path.join(CACHE, `home-${process.pid}`);
  process.env.WINNOW_HOME = home;
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(home, 'project'));
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 50);
  const started = performance.now();
  const job = await project.jobs.wait((await engine.addSource(folder)).jobId);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  const items = project.items.count();
  await engine.close();
  rmSync(home, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ items, seconds, peakMiB: peak / 2 ** 20, state: job.state }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]);
  const rows: { size: number; items: number; seconds: number; peakMiB: number }[] = [];
  for (const size of SIZES) {
    const folder = await makeFolder(size);
    const res = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', folder], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (res.status !== 0) throw new Error(`child for ${size} failed`);
    rows.push({ size, ...JSON.parse(res.stdout) });
  }
  const base = rows[0];
  console.log(`\nIngest benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}): header probe + sha256 + sidecar caption + SQLite, one process per size\n`);
  console.log('| images | items/s | seconds | peak RSS (MiB) | items vs first | peak RSS vs first |');
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(`| ${r.size.toLocaleString('en')} | ${(r.items / r.seconds).toFixed(0)} | ${r.seconds.toFixed(1)} | ${r.peakMiB.toFixed(0)} | ${(r.items / base.items).toFixed(1)}× | ${(r.peakMiB / base.peakMiB).toFixed(2)}× |`);
  }
}

await main();
