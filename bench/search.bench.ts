// `npm run bench:search`: text/vector search against numpy, measured in one run on the same matrices.
// Rows (each Winnow vs the floor computed here, as a ratio):
//   - in-process exact top-k over N × 512 and N × 128 (default N = 100,000): `searchVector` on a warm
//     project (resident matrix, native SIMD scan, item lookup) vs numpy's `X @ q` + argpartition with the
//     matrix already in memory; and the first (cold) query, which reads the matrix, vs numpy's load + scan;
//   - ANN search over BENCH_ANN_ROWS (default 1,000,000) × BENCH_ANN_DIM (128): ms per query through the
//     saved, memory-mapped HNSW index and recall@10 against the exact scan; numpy's exact scan alongside;
//   - `winnow search` as a whole process (node + the bundled CLI that `npm run build:cli` writes, rebuilt here
//     first + open project + text tower + search + print) vs a python3 + numpy process that loads the matrix
//     and scans it; with BENCH_TSX=1 also the unbundled path (bin/winnow.mjs running the sources through tsx).
// Rounds are interleaved (Winnow, numpy, Winnow, …) and medians reported: the machine may be shared.
// Env: BENCH_TSX, BENCH_ROWS, BENCH_ANN_ROWS (0 skips), BENCH_ANN_DIM, BENCH_ROUNDS (5), WINNOW_BENCH_DIR (cache of built projects).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { topKOf } from '../main/engine/curate/exact-search';
import { searchVector } from '../main/engine/curate/search';
import { Engine } from '../main/engine/engine';
import { dropResident, residentRows } from '../main/engine/store/resident-matrix';
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
const CACHE = process.env.WINNOW_BENCH_DIR ?? path.join(os.tmpdir(), 'winnow-bench');
const HOME = path.join(CACHE, 'search-home');
process.env.WINNOW_HOME = HOME;
const NUMPY = path.join(import.meta.dirname, 'numpy-scan.py');
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

function numpy(matrix: string, dim: number, queryFile: string, repeats: number): { load_ms: number; scan_ms: number; top: number[]; process_ms: number } {
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
  const cold: number[] = [], warm: number[] = [], npLoad: number[] = [], npScan: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    dropResident();
    let t0 = performance.now();
    const first = searchVector(project, set, query(0), K);
    cold.push(ms(t0));
    const times: number[] = [];
    for (let i = 0; i < nq; i++) {
      t0 = performance.now();
      searchVector(project, set, query(i), K);
      times.push(ms(t0));
    }
    warm.push(median(times));
    const np = numpy(matrix, dim, queryFile, nq);
    npLoad.push(np.load_ms);
    npScan.push(np.scan_ms);
    const ours = first.hits.map((h) => rowOf.get(set.id, h.itemId) as number);
    if (JSON.stringify(ours) !== JSON.stringify(np.top)) log(`  note: top-${K} differs from numpy's (ties or float order): ${ours} vs ${np.top}`);
  }
  table.push({ measure: `exact top-${K}, ${ROWS.toLocaleString('en')} × ${dim}, warm (ms/query)`, winnow: fmt(median(warm)), floor: `numpy scan ${fmt(median(npScan))}`, ratio: `${(median(warm) / median(npScan)).toFixed(2)}×` });
  const npCold = npLoad.map((l, i) => l + npScan[i]);
  table.push({ measure: `exact top-${K}, ${ROWS.toLocaleString('en')} × ${dim}, first query: matrix streamed from disk (ms)`, winnow: fmt(median(cold)), floor: `numpy load + scan ${fmt(median(npCold))}`, ratio: `${(median(cold) / median(npCold)).toFixed(2)}×` });
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

async function wholeProcess(dir: string): Promise<void> {
  const cli = path.join(import.meta.dirname, '..', 'bin', 'winnow.mjs');
  await buildCli();
  const matrix = path.join(dir, 'embeddings', DEFAULT_MODEL, 'image.f32');
  const queryFile = path.join(dir, 'queries.f32');
  const run = (bundle: boolean) => {
    const t0 = performance.now();
    const res = spawnSync(process.execPath, [cli, 'search', 'a photo of a red circle', '--project', dir, '--k', String(K), '--json'], { encoding: 'utf8', env: { ...process.env, WINNOW_CLI_BUNDLE: bundle ? '1' : '0' } });
    if (res.status !== 0) throw new Error(`winnow search failed: ${res.stderr}`);
    return ms(t0);
  };
  const py = () => {
    const t0 = performance.now();
    numpy(matrix, 128, queryFile, 1);
    return ms(t0);
  };
  run(true); // first runs write ORT's optimized-graph cache and tsx's compile cache
  run(false);
  const bundled: number[] = [], tsx: number[] = [], theirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bundled.push(run(true));
    theirs.push(py());
    if (WITH_TSX) tsx.push(run(false));
  }
  const row = (how: string, ours: number[]) => table.push({ measure: `\`winnow search\` whole process (${how}), ${ROWS.toLocaleString('en')} × 128, built-in model (ms)`, winnow: fmt(median(ours)), floor: `python3 + numpy load + scan ${fmt(median(theirs))}`, ratio: `${(median(ours) / median(theirs)).toFixed(2)}×` });
  row('bundled CLI', bundled);
  if (WITH_TSX) row('TypeScript through tsx, no bundle', tsx);
}

async function main(): Promise<void> {
  mkdirSync(CACHE, { recursive: true });
  const load0 = os.loadavg()[0];
  log(`building / opening projects under ${CACHE}`);
  await exactRows(512, 'bench-512');
  const dir128 = await exactRows(128, DEFAULT_MODEL);
  await wholeProcess(dir128);
  if (ANN_ROWS > 0) await annRows();
  console.log(`\nSearch benchmark (${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}; load average ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}; medians of ${ROUNDS} interleaved rounds; CPU only)\n`);
  console.log('| measure | Winnow | floor / peer | ratio |');
  console.log('| --- | ---: | --- | ---: |');
  for (const r of table) console.log(`| ${r.measure} | ${r.winnow} | ${r.floor} | ${r.ratio} |`);
}

await main();
