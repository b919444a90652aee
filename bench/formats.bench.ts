// npm run bench:formats — export throughput and peak memory per format for 5k vs 50k items, each run in a fresh process.
// WINNOW_BENCH_SIZES, WINNOW_BENCH_FORMATS select what runs; WINNOW_BENCH_HEAP=40 caps the V8 heap of each export process.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Engine } from '../main/engine/engine';
import { validateExport } from '../main/engine/export/export-job';

const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const SIZES = (process.env.WINNOW_BENCH_SIZES ?? '5000,50000').split(',').map(Number);
const FORMATS = (process.env.WINNOW_BENCH_FORMATS ?? 'webdataset,parquet,imagefolder,coco,yolo,manifest,clip-retrieval').split(',');
const DIM = 64;
/** Optional V8 old-space cap (MiB) for the export processes: an export that finishes under a small cap provably keeps memory flat. */
const HEAP = process.env.WINNOW_BENCH_HEAP;

/** A project of `count` items (tiny generated JPEGs, a caption and a box each, embeddings), built once and cached. */
async function makeProject(count: number): Promise<string> {
  const dir = path.join(CACHE, `formats-${count}`);
  if (existsSync(path.join(dir, '.complete'))) return path.join(dir, 'project');
  rmSync(dir, { recursive: true, force: true });
  process.stderr.write(`building a ${count.toLocaleString('en')}-item project in ${dir}…\n`);
  const images = path.join(dir, 'images');
  mkdirSync(images, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < 32; i++) {
    const f = path.join(images, `img-${i}.jpg`);
    writeFileSync(f, await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: i * 8, g: 255 - i * 8, b: 90 } } }).jpeg({ quality: 70 }).toBuffer());
    files.push(f);
  }
  process.env.WINNOW_HOME = path.join(dir, 'home');
  const engine = new Engine('cli');
  const project = await engine.createProject(path.join(dir, 'project'), `bench ${count}`);
  const source = project.sources.add('folder', images, images, 'images');
  const meta = await Promise.all(files.map(async (f) => ({ f, m: await sharp(f).metadata(), bytes: (await import('node:fs')).statSync(f).size })));
  const set = project.embeddings.ensureSet('bench/clip', DIM, 'sha256:bench');
  const img = project.embeddings.matrix(set, 'image');
  const txt = project.embeddings.matrix(set, 'text');
  const CHUNK = 5000;
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const vecs = new Float32Array(n * DIM).map((_, k) => Math.sin(start + k));
    img.write(start, vecs);
    txt.write(start, vecs);
    project.db.transaction(() => {
      for (let i = start; i < start + n; i++) {
        const { f, m, bytes } = meta[i % meta.length];
        const id = project.items.insert(source.id, { key: `item-${i}`, uri: f, format: 'jpg', width: m.width!, height: m.height!, bytes, sha256: null, caption: `benchmark item ${i} with a small caption`, captionOrigin: 'bench', extra: { n: i } })!;
        project.annotations.insert(id, { kind: 'box', label: `class ${i % 10}`, bbox: [2, 2, 12, 10], origin: 'source', state: 'source', createdBy: 'bench' });
        project.embeddings.addText(set, `t${i}`, i);
        project.embeddings.addItem(set, id, i, i);
      }
    })();
  }
  img.close();
  txt.close();
  await engine.close();
  writeFileSync(path.join(dir, '.complete'), '');
  return path.join(dir, 'project');
}

/** Runs in a child process so each export's peak RSS is its own. */
async function child(projectDir: string, format: string): Promise<void> {
  process.env.WINNOW_HOME = path.join(CACHE, `home-${process.pid}`);
  const engine = new Engine('cli');
  const project = await engine.openProject(projectDir, { resume: false });
  const out = path.join(CACHE, `out-${process.pid}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out);
  let peak = process.memoryUsage().rss;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
  const started = performance.now();
  const params = await validateExport(project, { format, dest: path.join(out, 'export'), selection: null, options: format === 'webdataset' ? { samplesPerShard: 10000 } : {} });
  const job = await project.jobs.wait(project.jobs.start('export', params).id);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss, process.resourceUsage().maxRSS * 1024);
  await engine.close();
  rmSync(out, { recursive: true, force: true });
  rmSync(process.env.WINNOW_HOME, { recursive: true, force: true });
  process.stdout.write(JSON.stringify({ items: job.done, seconds, peakMiB: peak / 2 ** 20, state: job.state, error: job.error }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3], process.argv[4]);
  const projects = new Map<number, string>();
  for (const n of SIZES) projects.set(n, await makeProject(n));
  const results: Record<string, Record<number, { items: number; seconds: number; peakMiB: number; state: string; error: string | null }>> = {};
  for (const format of FORMATS) {
    results[format] = {};
    for (const n of SIZES) {
      const r = spawnSync(process.execPath, [...(HEAP ? [`--max-old-space-size=${HEAP}`] : []), '--import', 'tsx', import.meta.filename, '--child', projects.get(n)!, format], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`${format} ${n}: ${r.stderr}`);
      results[format][n] = JSON.parse(r.stdout);
      const x = results[format][n];
      process.stderr.write(`${format} ${n}: ${x.state} ${(x.items / x.seconds).toFixed(0)} items/s, ${x.peakMiB.toFixed(0)} MiB${x.error ? ` (${x.error})` : ''}\n`);
    }
  }
  const head = ['format', ...SIZES.flatMap((n) => [`${n.toLocaleString('en')} items/s`, `${n.toLocaleString('en')} peak RSS`])];
  const rows = FORMATS.map((f) => [f, ...SIZES.flatMap((n) => [(results[f][n].items / results[f][n].seconds).toFixed(0), `${results[f][n].peakMiB.toFixed(0)} MiB`])]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  console.log([line(head), `|${widths.map((w, i) => (i ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|')}|`, ...rows.map(line)].join('\n'));
  const growth = FORMATS.map((f) => results[f][SIZES.at(-1)!].peakMiB - results[f][SIZES[0]].peakMiB);
  console.log(`\npeak RSS growth from ${SIZES[0].toLocaleString('en')} to ${SIZES.at(-1)!.toLocaleString('en')} items: ${growth.map((g, i) => `${FORMATS[i]} ${g >= 0 ? '+' : ''}${g.toFixed(0)} MiB`).join(', ')}`);
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
