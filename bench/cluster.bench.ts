// `npm run bench:cluster`: cluster runs over BullMQ on a local redis-server (Debian's, started here) with
// real `winnow worker` processes and the built-in model, on generated WebDataset tars. Reports:
//   - throughput (items/s, submit → merged result) with 1, 2 and 4 workers (model load excluded: workers
//     are started and ready before the plan is submitted);
//   - the queue's own overhead per shard: a run of empty shards (no items), submit → merge, per shard;
//   - per-shard costs from the shards' own records (ms per item inside a shard, merge ms per item), the
//     inputs of the 100M-pair estimate in docs/scale-out.md;
//   - distributed SemDeDup (centroid job, per-cluster jobs, join on the step queue) vs the same steps in one
//     process, interleaved, on a generated clustered matrix: wall time, each cluster job's own time (BullMQ's
//     processedOn → finishedOn) and the queue's cost per cluster job.
// Options (env): BENCH_ITEMS (192), BENCH_PER_TAR (16), BENCH_WORKERS ("1,2,4"), BENCH_EMPTY (40), BENCH_BATCH (16),
// BENCH_SEM_ROWS (20000), BENCH_SEM_DIM (256), BENCH_SEM_CLUSTERS (20), BENCH_SEM_WORKERS ("1,2"), BENCH_SEM_REPS (2).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { connect, PREFIX } from '../main/cluster/connection';
import { followRun } from '../main/cluster/progress';
import { distributedSemDedup, SEMDEDUP_QUEUE } from '../main/cluster/semdedup';
import { NpyWriter } from '../main/engine/export/npy';
import { semanticGroups } from '../main/engine/scale/dedup-step';
import { FsStorage } from '../main/engine/scale/fs-storage';
import { NpyRows } from '../main/engine/scale/npy-rows';
import { submitPlan } from '../main/cluster/submit';
import { ScalePlan, type ScalePlanT } from '../main/domain/scale';
import type { ShardSummary } from '../main/engine/scale/shard-run';
import { tempDir } from '../test/fixtures/images';
import { scenes, tarBuffer, type TarMember } from '../test/fixtures/formats';
import { startRedis } from '../test/fixtures/redis';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const ITEMS = env('BENCH_ITEMS', 192);
const PER_TAR = env('BENCH_PER_TAR', 16);
const EMPTY = env('BENCH_EMPTY', 40);
const BATCH = env('BENCH_BATCH', 16);
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2,4').split(',').map(Number);
const SEM_ROWS = env('BENCH_SEM_ROWS', 20_000);
const SEM_DIM = env('BENCH_SEM_DIM', 256);
const SEM_CLUSTERS = env('BENCH_SEM_CLUSTERS', 20);
const SEM_WORKERS = (process.env.BENCH_SEM_WORKERS ?? '1,2').split(',').map(Number);
const SEM_REPS = env('BENCH_SEM_REPS', 2);
const WINNOW = path.resolve(import.meta.dirname, '..', 'bin', 'winnow.mjs');

const LOAD_START = os.loadavg();

/** A clustered matrix: SEM_CLUSTERS random centres, rows scattered around them, a few near-copies planted. */
async function clusteredMatrix(file: string): Promise<NpyRows> {
  let seed = 11;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const centres = Array.from({ length: SEM_CLUSTERS }, () => Float32Array.from({ length: SEM_DIM }, rnd));
  const w = new NpyWriter(file, SEM_DIM, 'float32');
  let previous: Float32Array | null = null;
  for (let i = 0; i < SEM_ROWS; i++) {
    const c = centres[i % SEM_CLUSTERS];
    // Every 10th row is a near-copy of the row before it.
    const v: Float32Array = i % 10 === 9 && previous ? previous.map((x) => x + 0.002 * rnd()) : c.map((x) => x + 0.6 * rnd());
    const n = Math.hypot(...v);
    const row: Float32Array = v.map((x) => x / n);
    w.append(row);
    previous = row;
  }
  w.close();
  return new NpyRows(file);
}

async function semdedupBench(url: string, dir: string, start: (n: number) => Promise<ChildProcess[]>, stop: (p: ChildProcess[]) => Promise<void>) {
  const images = await clusteredMatrix(path.join(dir, 'sem.npy'));
  const dedup = { threshold: 0.95, method: 'semdedup' as const, clusters: SEM_CLUSTERS, sample: 100_000 };
  const conn = connect(url);
  const queue = new Queue(SEMDEDUP_QUEUE, { connection: conn, prefix: PREFIX });
  let localMs = Infinity;
  let same = true;
  let groups = 0;
  const queueMs = new Map<number, number>();
  const jobMs: number[] = [];
  let run = 0;
  try {
    for (const n of SEM_WORKERS) {
      const procs = await start(n);
      try {
        for (let rep = 0; rep < SEM_REPS; rep++) {
          let t0 = performance.now();
          const local = await semanticGroups(images, dedup);
          localMs = Math.min(localMs, performance.now() - t0);
          groups = local.length;
          // A fresh output each time, so every step runs (a shared one would reuse the committed outputs).
          const output = path.join(dir, `sem-out-${run++}`);
          const p = ScalePlan.parse({ version: 1, name: 'sem', model: 'winnow-clip-mini', output, sources: [{ kind: 'webdataset', path: dir }], dedup });
          await queue.obliterate({ force: true });
          t0 = performance.now();
          const distributed = await distributedSemDedup(url, p, new FsStorage(output))(images);
          queueMs.set(n, Math.min(queueMs.get(n) ?? Infinity, performance.now() - t0));
          same &&= JSON.stringify(local) === JSON.stringify(distributed);
          if (n === SEM_WORKERS[0] && rep === SEM_REPS - 1) {
            for (const job of await queue.getJobs(['completed'])) if (job.name === 'cluster') jobMs.push(job.finishedOn! - job.processedOn!);
          }
        }
      } finally {
        await stop(procs);
      }
    }
  } finally {
    await queue.close();
    conn.disconnect();
    images.close();
  }
  jobMs.sort((a, b) => a - b);
  return { localMs, queueMs, same, groups, jobMedianMs: jobMs[Math.floor(jobMs.length / 2)] ?? NaN };
}

async function main() {
  const dir = await tempDir('winnow-bench-cluster-');
  const wds = path.join(dir, 'wds');
  const list = await scenes(ITEMS, 'bench-cluster');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(wds);
  for (let t = 0; t * PER_TAR < list.length; t++) {
    const members: TarMember[] = list.slice(t * PER_TAR, (t + 1) * PER_TAR).flatMap((s) => [
      { name: `${String(s.index).padStart(9, '0')}.jpg`, data: s.jpeg }, { name: `${String(s.index).padStart(9, '0')}.txt`, data: Buffer.from(s.caption) }]);
    await writeFile(path.join(wds, `${String(t).padStart(5, '0')}.tar`), await tarBuffer(members));
  }
  const redis = await startRedis();
  const plan = (name: string): ScalePlanT => ScalePlan.parse({
    version: 1, name, model: 'winnow-clip-mini', output: path.join(dir, name), batchSize: BATCH,
    sources: [{ kind: 'webdataset', path: wds }], dedup: { threshold: 0.95, method: 'graph' },
  });
  const start = async (n: number) => {
    const procs: ChildProcess[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const child = spawn(process.execPath, [WINNOW, 'worker', '--queue', redis.url, '--name', `bench-${i}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      procs.push(child);
      ready.push(new Promise((resolve) => { let log = ''; child.stdout!.on('data', (d) => { log += d; if (/serving/.test(log)) resolve(); }); }));
    }
    await Promise.all(ready);
    return procs;
  };
  const stop = async (procs: ChildProcess[]) => {
    await Promise.all(procs.map((p) => new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); })));
  };
  const timed = async (p: ScalePlanT, shards?: number) => {
    const t0 = performance.now();
    const { info } = await submitPlan(redis.url, p, shards);
    const out = await followRun(redis.url, info, { intervalMs: 100, print: () => undefined });
    if (!out.result) throw new Error(out.error ?? 'no result');
    return { ms: performance.now() - t0, result: out.result, count: info.count };
  };
  const rows: string[] = [];
  const perShard: ShardSummary[] = [];
  let mergeMsPerItem = 0;
  let base = 0;
  for (const n of WORKERS) {
    const procs = await start(n);
    // The first shard a worker runs also loads the model: a warm-up run of one tar per worker first.
    await timed(plan(`warm-${n}`), n);
    const run = await timed(plan(`run-${n}`));
    await stop(procs);
    const rate = (run.result.items / run.ms) * 1000;
    base ||= rate;
    rows.push(`| ${n} | ${run.count} | ${run.result.items} | ${(run.ms / 1000).toFixed(1)} | ${rate.toFixed(1)} | ${(rate / base).toFixed(2)}× |`);
    const shardsDir = path.join(dir, `run-${n}`, 'shards');
    for (const s of await readdir(shardsDir)) if (!s.startsWith('.')) perShard.push(JSON.parse(await readFile(path.join(shardsDir, s, 'shard.json'), 'utf8')) as ShardSummary);
    mergeMsPerItem = run.result.elapsedMs / run.result.items;
  }
  // Empty shards: the plan has one tar; N shards leave N-1 of them empty. One worker, so the time is the queue's.
  const procs = await start(1);
  const one = ScalePlan.parse({ ...plan('empty'), sources: [{ kind: 'webdataset', path: path.join(wds, '00000.tar') }] });
  await timed(plan('warm-empty'), 1);
  const single = await timed({ ...one, output: path.join(dir, 'empty-1') }, 1);
  const many = await timed(one, EMPTY + 1);
  await stop(procs);
  const overhead = (many.ms - single.ms) / EMPTY;
  const sem = await semdedupBench(redis.url, dir, start, stop);
  await redis.stop();
  const itemMs = perShard.filter((s) => s.items).map((s) => s.elapsedMs / s.items);
  itemMs.sort((a, b) => a - b);
  console.log(`\ncluster bench on ${os.availableParallelism()} cores (${os.cpus()[0]?.model}), ${ITEMS} items in ${Math.ceil(ITEMS / PER_TAR)} tars of ${PER_TAR}, built-in model, batch ${BATCH}\n`);
  console.log('| workers | shards | items | wall s (submit → merged) | items/s | vs 1 worker |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
  console.log(`\nqueue overhead per empty shard (BullMQ job + empty shard commit, 1 worker): ${overhead.toFixed(1)} ms (${EMPTY} empty shards)`);
  console.log(`inside a shard: median ${itemMs[Math.floor(itemMs.length / 2)].toFixed(2)} ms per item (read + hash + decode + embed image and caption + write), over ${itemMs.length} shards`);
  console.log(`merge (sort, matrices, duplicate groups): ${mergeMsPerItem.toFixed(3)} ms per item`);
  console.log(`\nSemDeDup, ${SEM_ROWS} rows × ${SEM_DIM} dims, ${SEM_CLUSTERS} clusters, ${sem.groups} groups (interleaved with the in-process run, best of ${SEM_REPS}; distributed groups equal in-process: ${sem.same})\n`);
  console.log('| SemDeDup | wall s | vs in-process | queue + storage cost per cluster job |');
  console.log('| --- | --- | --- | --- |');
  console.log(`| in one process (centroids, every cluster, join) | ${(sem.localMs / 1000).toFixed(2)} | 1.00× | |`);
  for (const [n, ms] of sem.queueMs) {
    const cost = n === 1 ? `${((ms - sem.localMs) / SEM_CLUSTERS).toFixed(1)} ms` : '';
    console.log(`| as queue jobs, ${n} worker${n === 1 ? '' : 's'} (publish matrix, centroid job, ${SEM_CLUSTERS} cluster jobs, join) | ${(ms / 1000).toFixed(2)} | ${(ms / sem.localMs).toFixed(2)}× | ${cost} |`);
  }
  console.log(`\nper cluster job (1 worker): median ${sem.jobMedianMs.toFixed(1)} ms of work (BullMQ processedOn → finishedOn; ${(SEM_ROWS / SEM_CLUSTERS).toFixed(0)} rows on average); cost per cluster job = (1-worker queue wall − in-process wall) / clusters`);
  console.log(`load average at start ${LOAD_START.map((l) => l.toFixed(1)).join(' ')}, at end ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  await rm(dir, { recursive: true, force: true });
}

main().catch((err) => { console.error(err); process.exit(1); });
