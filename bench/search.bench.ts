// `npm run bench:search`: text/vector search against numpy, measured in one run on the same matrices.
// Rows (each Winnow vs the floor computed here, as a ratio):
//   - in-process exact top-k over N × 512 and N × 128 (default N = 100,000): `searchVector` on a warm
//     project (resident matrix and its int8 copy, native SIMD scans, item lookup; quantized-scan.ts) vs numpy's
//     `X @ q` + argpartition with the matrix already in memory, wall and CPU time per query (CPU: this
//     process's user + system over the queries, all threads; numpy's process time per scan, all BLAS threads);
//     the first (cold) query, which streams the matrix from disk, vs numpy's load + scan; the second query,
//     which makes the matrix resident, and the int8 copy made after it (once per matrix version);
//   - ANN search over BENCH_ANN_ROWS (default 1,000,000) × BENCH_ANN_DIM (128): ms per query through the
//     saved, memory-mapped HNSW index and recall@10 against the exact scan; numpy's exact scan alongside;
//   - `winnow search` as a whole process (node + the bundled CLI that `npm run build:cli` writes, rebuilt here
//     first + open project + text tower + search + print) vs a python3 + numpy process that loads the matrix
//     and scans it, wall and CPU time (user + system, all threads); beside it the Node floor, a plain Node
//     script doing the same search with the same libraries and no Winnow code (bench/lib/node-search-floor.mjs),
//     and Winnow vs that floor; with BENCH_TSX=1 also the unbundled path (bin/winnow.cjs running the sources
//     through tsx).
// Rounds are interleaved (Winnow, numpy, Winnow, …) and medians reported: the machine may be shared.
// Env: BENCH_TSX, BENCH_ROWS, BENCH_EXACT (0 skips the in-process rows), BENCH_WHOLE (0 skips the whole-process
// rows), BENCH_ANN_ROWS (0 skips), BENCH_ANN_DIM,
// BENCH_ROUNDS (5), WINNOW_BENCH_DIR (cache of built projects).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { topKOf } from '../main/engine/curate/exact-search';
import { whenQuantized } from '../main/engine/curate/quantized-scan';
import { searchVector } from '../main/engine/curate/search';
import { Engine } from '../main/engine/engine';
import { dropResident, residentRows } from '../main/engine/store/resident-matrix';
import { APP_ROOT } from '../main/engine/paths';
import { DEFAULT_MODEL } from '../main/engine/vision/active-model';
import { buildCli } from '../scripts/build-cli';
import { log, plantedFor, syntheticProject } from './lib/synthetic-project';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const ROWS = env('BENCH_ROWS', 100_000);
const ANN_ROWS = env('BENCH_ANN_ROWS', 1_000_000);
const ANN_DIM = env('BENCH_ANN_DIM', 128);
const ROUNDS = env('BENCH_ROUNDS', 5);
const K = 10;
const WITH_TSX = process.env.BENCH_TSX === '1';
const WITH_EXACT = process.env.BENCH_EXACT !== '0';
const WITH_WHOLE = process.env.BENCH_WHOLE !== '0';
const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const HOME = path.join(CACHE, 'search-home');
process.env.WINNOW_HOME = HOME;
const NUMPY = path.join(import.meta.dirname, 'numpy-scan.py');
const FLOOR = path.join(import.meta.dirname, 'lib', 'node-search-floor.mjs');
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ms = (t0: number) => performance.now() - t0;

/** Queries off the data: a row plus noise, normalized (like a text query, never exactly a stored row). */
function queries(rows: number, dim: number, n = 16): Float32Array {
  const planted = plantedFor(rows, dim);
  const out = new Float32Array(n * dim);
  for (let q = 0; q < n; q++) {
    const row = planted.row((q * 7919) % rows);
    let s = 0;
    for (let j = 0; j < dim; j++) {
      const v = row[j] + 0.08 * Math.sin(q * 31 + j * 1.7);
      out[q * dim + j] = v;
      s += v * v;
    }
    for (let j = 0; j < dim; j++) out[q * dim + j] /= Math.sqrt(s);
  }
  return out;
}

function numpy(matrix: string, dim: number, queryFile: string, repeats: number): { load_ms: number; scan_ms: number; scan_best_ms: number; scan_cpu_ms: number; top: number[]; process_ms: number } {
  return JSON.parse(execFileSync('/usr/bin/python3', [NUMPY, matrix, String(dim), queryFile, String(K), String(repeats)], { encoding: 'utf8' }));
}

interface Row { measure: string; winnow: string; floor: string; ratio: string }
const table: Row[] = [];
const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

async function exactRows(dim: number, model: string): Promise<string> {
  const dir = path.join(CACHE, `search-${ROWS}x${dim}`);
  const engine = new Engine('cli');
  const project = await syntheticProject(engine, dir, ROWS, dim, model);
  const set = project.embeddings.getSet(model)!;
  const matrix = project.embeddings.matrixPath(set, 'image');
  const q = queries(ROWS, dim);
  const queryFile = path.join(dir, 'queries.f32');
  writeFileSync(queryFile, new Uint8Array(q.buffer));
  const nq = q.length / dim;
  const query = (i: number) => q.subarray(i * dim, (i + 1) * dim);
  const rowOf = project.db.prepare('SELECT image_row FROM embedding_rows WHERE set_id = ? AND item_id = ?').pluck();
  const cold: number[] = [], second: number[] = [], copy: number[] = [], warm: number[] = [], warmBest: number[] = [], npBest: number[] = [], warmCpu: number[] = [], npLoad: number[] = [], npScan: number[] = [], npCpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    dropResident();
    let t0 = performance.now();
    const first = searchVector(project, set, query(0), K);
    cold.push(ms(t0));
    t0 = performance.now();
    searchVector(project, set, query(1), K); // the matrix becomes resident and starts its int8 copy
    second.push(ms(t0));
    t0 = performance.now();
    await whenQuantized(residentRows(matrix, dim, ROWS)!, dim); // made in steps between other work
    copy.push(ms(t0));
    const times: number[] = [];
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < nq; i++) {
      t0 = performance.now();
      searchVector(project, set, query(i), K);
      times.push(ms(t0));
    }
    const cpu = process.cpuUsage(cpu0);
    warm.push(median(times));
    warmBest.push(Math.min(...times));
    warmCpu.push((cpu.user + cpu.system) / 1000 / nq);
    const np = numpy(matrix, dim, queryFile, nq);
    npLoad.push(np.load_ms);
    npScan.push(np.scan_ms);
    npCpu.push(np.scan_cpu_ms);
    npBest.push(np.scan_best_ms);
    const ours = first.hits.map((h) => rowOf.get(set.id, h.itemId) as number);
    if (JSON.stringify(ours) !== JSON.stringify(np.top)) log(`  note: top-${K} differs from numpy's (ties or float order): ${ours} vs ${np.top}`);
  }
  const size = `${ROWS.toLocaleString('en')} × ${dim}`;
  const best = (a: number[]) => Math.min(...a);
  table.push({
    measure: `exact top-${K}, ${size}, warm (ms/query: median, best of all queries, CPU)`,
    winnow: `${fmt(median(warm))} (best ${fmt(best(warmBest))}, CPU ${fmt(median(warmCpu))})`,
    floor: `numpy scan ${fmt(median(npScan))} (best ${fmt(best(npBest))}, CPU ${fmt(median(npCpu))})`,
    ratio: `${(median(warm) / median(npScan)).toFixed(2)}× (best ${(best(warmBest) / best(npBest)).toFixed(2)}×, CPU ${(median(warmCpu) / median(npCpu)).toFixed(2)}×)`,
  });
  const npCold = npLoad.map((l, i) => l + npScan[i]);
  table.push({ measure: `exact top-${K}, ${size}, first query: matrix streamed from disk (ms)`, winnow: fmt(median(cold)), floor: `numpy load + scan ${fmt(median(npCold))}`, ratio: `${(median(cold) / median(npCold)).toFixed(2)}×` });
  table.push({ measure: `exact top-${K}, ${size}, second query: matrix read into memory (ms, once per matrix version)`, winnow: fmt(median(second)), floor: `numpy load + scan ${fmt(median(npCold))}`, ratio: `${(median(second) / median(npCold)).toFixed(2)}×` });
  table.push({ measure: `int8 copy of the ${size} matrix, made after the second query in steps between other work (ms, once per matrix version)`, winnow: fmt(median(copy)), floor: `numpy load + scan ${fmt(median(npCold))}`, ratio: `${(median(copy) / median(npCold)).toFixed(2)}×` });
  await engine.close();
  return dir;
}

/** The N × dim project the whole-process rows search, built if missing, without the in-process rows. */
async function projectOnly(dim: number, model: string): Promise<string> {
  const dir = path.join(CACHE, `search-${ROWS}x${dim}`);
  const engine = new Engine('cli');
  await syntheticProject(engine, dir, ROWS, dim, model);
  writeFileSync(path.join(dir, 'queries.f32'), new Uint8Array(queries(ROWS, dim).buffer));
  await engine.close();
  return dir;
}

async function annRows(): Promise<void> {
  const dir = path.join(CACHE, `search-ann-${ANN_ROWS}x${ANN_DIM}`);
  const engine = new Engine('cli');
  const model = `bench-${ANN_DIM}`;
  const project = await syntheticProject(engine, dir, ANN_ROWS, ANN_DIM, model, true);
  const set = project.embeddings.getSet(model)!;
  const q = queries(ANN_ROWS, ANN_DIM, 64);
  const queryFile = path.join(dir, 'queries.f32');
  writeFileSync(queryFile, new Uint8Array(q.buffer));
  const nq = q.length / ANN_DIM;
  const query = (i: number) => q.subarray(i * ANN_DIM, (i + 1) * ANN_DIM);
  let t0 = performance.now();
  expectMethod(searchVector(project, set, query(0), K).method);
  const open = ms(t0);
  const rowOf = project.db.prepare('SELECT image_row FROM embedding_rows WHERE set_id = ? AND item_id = ?').pluck();
  const data = residentRows(project.embeddings.matrixPath(set, 'image'), ANN_DIM, ANN_ROWS, { always: true });
  const per: number[] = [], npScan: number[] = [];
  let found = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const times: number[] = [];
    for (let i = 0; i < nq; i++) {
      t0 = performance.now();
      const res = searchVector(project, set, query(i), K);
      times.push(ms(t0));
      if (r === 0 && data) {
        const exact = new Set(topKOf(data, ANN_DIM, query(i), K).rows);
        found += res.hits.filter((h) => exact.has(rowOf.get(set.id, h.itemId) as number)).length;
      }
    }
    per.push(median(times));
    npScan.push(numpy(project.embeddings.matrixPath(set, 'image'), ANN_DIM, queryFile, 16).scan_ms);
  }
  dropResident();
  const recall = data ? (found / (nq * K)).toFixed(3) : 'n/a (matrix over the resident budget)';
  table.push({ measure: `ANN (HNSW f16, memory-mapped) top-${K}, ${ANN_ROWS.toLocaleString('en')} × ${ANN_DIM} (ms/query; recall@${K} vs exact ${recall}; first query incl. index open ${fmt(open)} ms)`, winnow: fmt(median(per)), floor: `numpy exact scan ${fmt(median(npScan))}`, ratio: `${(median(per) / median(npScan)).toFixed(2)}×` });
  await engine.close();
}

function expectMethod(method: string): void {
  if (method !== 'index') throw new Error(`search used ${method}, not the saved index`);
}

/**
 * CPU seconds (user + system) of the children this process has waited for, from /proc/self/stat (cutime +
 * cstime, in clock ticks of 10 ms); null off Linux. A spawnSync'd child has been waited for when it returns,
 * so the difference around one call is that child's CPU time, all its threads included.
 */
function childCpuMs(): number | null {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return null;
  }
}

interface Timed { wall: number; cpu: number | null; stdout: string }

function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const res = spawnSync(command, args, { encoding: 'utf8', env, maxBuffer: 64 << 20 });
  const wall = ms(t0);
  if (res.status !== 0) throw new Error(`${path.basename(command)} ${args[0]} failed: ${res.stderr}`);
  const cpu1 = childCpuMs();
  return { wall, cpu: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0, stdout: res.stdout };
}

/** The optimized text graph Winnow's CPU provider cached (main/engine/vision/providers.ts), for the Node floor. */
function cachedTextGraph(model: string): string {
  const dir = path.join(HOME, 'cache', 'onnx', model);
  const graphs = readdirSync(dir).filter((f) => f.startsWith('text_model-') && f.endsWith('.ort.onnx')).map((f) => path.join(dir, f));
  if (!graphs.length) throw new Error(`no cached text graph under ${dir}`);
  return graphs.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
}

/**
 * `winnow search` as a user runs it vs python3 + numpy loading the matrix and scanning it, and the Node floor
 * (bench/lib/node-search-floor.mjs: the same libraries doing the same search with no Winnow code), which says
 * how much of the gap is Node + onnxruntime + SQLite starting up and how much is Winnow's own code.
 * numpy runs under /usr/bin/python3 (the system interpreter, no version-manager shim: a pyenv shim alone
 * adds ~0.3 CPU-s per start, which made an earlier hand-run A/B look twice as good as this row).
 */
async function wholeProcess(dir: string): Promise<void> {
  const cli = path.join(import.meta.dirname, '..', 'bin', 'winnow.cjs');
  await buildCli();
  const matrix = path.join(dir, 'embeddings', DEFAULT_MODEL, 'image.f32');
  const queryFile = path.join(dir, 'queries.f32');
  const query = 'a photo of a red circle';
  const winnow = (bundle: boolean) => timed(process.execPath, [cli, 'search', query, '--project', dir, '--k', String(K), '--json'], { ...process.env, WINNOW_CLI_BUNDLE: bundle ? '1' : '0' });
  const py = () => timed('/usr/bin/python3', [NUMPY, matrix, '128', queryFile, String(K), '1']);
  const first = winnow(true); // first runs write ORT's optimized-graph cache and tsx's compile cache
  if (WITH_TSX) winnow(false);
  const floorArgs = [FLOOR, path.join(APP_ROOT, 'models', DEFAULT_MODEL), cachedTextGraph(DEFAULT_MODEL), dir, DEFAULT_MODEL, String(K), query];
  const floor = () => timed(process.execPath, floorArgs);
  const ours = (JSON.parse(first.stdout) as { hits: { itemId: number }[] }).hits.map((h) => h.itemId);
  const theirs = (JSON.parse(floor().stdout) as { itemIds: number[] }).itemIds;
  if (JSON.stringify(ours) !== JSON.stringify(theirs)) throw new Error(`the Node floor found other items than winnow search: ${theirs} vs ${ours}`);
  const np = JSON.parse(py().stdout) as { python: string; numpy: string };
  const runs: Record<'bundled' | 'tsx' | 'floor' | 'numpy', Timed[]> = { bundled: [], tsx: [], floor: [], numpy: [] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.bundled.push(winnow(true));
    runs.numpy.push(py());
    runs.floor.push(floor());
    if (WITH_TSX) runs.tsx.push(winnow(false));
  }
  const wall = (t: Timed[]) => median(t.map((x) => x.wall));
  const cpu = (t: Timed[]) => (t.some((x) => x.cpu === null) ? null : median(t.map((x) => x.cpu as number)));
  const both = (t: Timed[]) => `${fmt(wall(t))} (CPU ${cpu(t) === null ? 'n/a' : fmt(cpu(t) as number)})`;
  const ratio = (a: Timed[], b: Timed[]) => `${(wall(a) / wall(b)).toFixed(2)}× (CPU ${cpu(a) === null ? 'n/a' : `${((cpu(a) as number) / (cpu(b) as number)).toFixed(2)}×`})`;
  const numpyFloor = `python3 ${np.python} + numpy ${np.numpy} load + scan ${both(runs.numpy)}`;
  const size = `${ROWS.toLocaleString('en')} × 128, built-in model (ms, wall and CPU)`;
  table.push({ measure: `\`winnow search\` whole process (bundled CLI), ${size}`, winnow: both(runs.bundled), floor: numpyFloor, ratio: ratio(runs.bundled, runs.numpy) });
  if (WITH_TSX) table.push({ measure: `\`winnow search\` whole process (TypeScript through tsx, no bundle), ${size}`, winnow: both(runs.tsx), floor: numpyFloor, ratio: ratio(runs.tsx, runs.numpy) });
  table.push({ measure: `Node floor: the same search with the same libraries and no Winnow code, ${size}`, winnow: both(runs.floor), floor: numpyFloor, ratio: ratio(runs.floor, runs.numpy) });
  table.push({ measure: `\`winnow search\` vs the Node floor: Winnow's own code (ms, wall and CPU)`, winnow: both(runs.bundled), floor: `Node floor ${both(runs.floor)}`, ratio: ratio(runs.bundled, runs.floor) });
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const load0 = os.loadavg()[0];
  log(`building / opening projects under ${CACHE}`);
  if (WITH_EXACT) await exactRows(512, 'bench-512');
  const dir128 = WITH_EXACT ? await exactRows(128, DEFAULT_MODEL) : await projectOnly(128, DEFAULT_MODEL);
  if (WITH_WHOLE) await wholeProcess(dir128);
  if (ANN_ROWS > 0) await annRows();
  console.log(`\nSearch benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}; load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}; medians of ${ROUNDS} interleaved rounds; CPU only)\n`);
  console.log('| measure | Winnow | floor / peer | ratio |');
  console.log('| --- | ---: | --- | ---: |');
  for (const r of table) console.log(`| ${r.measure} | ${r.winnow} | ${r.floor} | ${r.ratio} |`);
}

await main();
