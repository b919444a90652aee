// `npm run bench:dedup`: semantic near-duplicate detection over BENCH_ROWS (default 1,000,000) × 512-d
// unit vectors with planted duplicate groups, generated deterministically and streamed to a temporary
// matrix file (never held in a JS array). Reports, as a table:
//   - the full run: wall time per phase (index build, kNN search + union-find), peak RSS, and recall /
//     precision against the planted pairs;
//   - a BENCH_SAMPLE-vector sample (default 10,000: the first rows, which hold all their planted pairs):
//     the same pipeline vs exact brute force (all pairs, native SIMD) on that sample, pair recall and
//     recall@10 of the ANN against the exact result, and the time ratio; the exact all-pairs time is
//     extrapolated (quadratically) to the full row count.
// Options (env): BENCH_ROWS, BENCH_DIM (512), BENCH_SAMPLE, BENCH_THRESHOLD (0.95), BENCH_QUANT (i8),
// BENCH_M (connectivity, 16), BENCH_EA (expansion_add, 96), BENCH_ES (expansion_search, 128), BENCH_K (8),
// BENCH_METHOD (graph | semdedup; default: what the job picks for BENCH_ROWS), BENCH_THREADS (0: all cores), BENCH_DIR (temp folder).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import usearch from 'usearch';
import { type AnnOptions, buildIndex, type Quantization, type RowSource, searchBatch } from '../main/engine/curate/ann-index';
import { chooseMethod, type DedupMethod, findNearDuplicates } from '../main/engine/curate/semantic-dedup';
import { MatrixFile } from '../main/engine/store/matrix-file';
import { PlantedVectors, scorePlanted } from '../test/fixtures/planted-vectors';

const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const ROWS = env('BENCH_ROWS', 1_000_000);
const DIM = env('BENCH_DIM', 512);
const SAMPLE = Math.min(ROWS, env('BENCH_SAMPLE', 10_000));
const THRESHOLD = env('BENCH_THRESHOLD', 0.95);
const K = env('BENCH_K', 8);
const METHOD = chooseMethod(ROWS, DIM, process.env.BENCH_METHOD as DedupMethod | undefined);
const ANN: AnnOptions = {
  quantization: (process.env.BENCH_QUANT ?? 'i8') as Quantization,
  connectivity: env('BENCH_M', 16), expansionAdd: env('BENCH_EA', 96), expansionSearch: env('BENCH_ES', 128), threads: env('BENCH_THREADS', 0),
};

const secs = (t0: number) => (performance.now() - t0) / 1000;
const mb = (kb: number) => Math.round(kb / 1024);
const log = (s: string) => process.stderr.write(`${s}\n`);

async function main() {
  const dir = mkdtempSync(path.join(process.env.BENCH_DIR ?? os.tmpdir(), 'winnow-dedup-bench-'));
  const planted = new PlantedVectors({ rows: ROWS, dim: DIM, dupRate: 0.02, seed: 11 });
  const matrix = new MatrixFile(path.join(dir, 'image.f32'), DIM);
  try {
    let t0 = performance.now();
    for (let first = 0; first < ROWS; first += 4096) {
      const count = Math.min(4096, ROWS - first);
      matrix.write(first, planted.read(first, count));
      if (first % 131072 === 0) log(`generate ${first}/${ROWS}`);
    }
    const genSec = secs(t0);
    log(`generated ${ROWS} × ${DIM} in ${genSec.toFixed(1)} s`);
    const src: RowSource = { dim: DIM, rows: ROWS, read: (r, c = 1) => matrix.read(r, c) };

    // ---- the full run ----
    const phase: Record<string, number> = {};
    let phaseStart = performance.now();
    let current = '';
    let lastLog = 0;
    t0 = performance.now();
    const full = await findNearDuplicates(src, {
      threshold: THRESHOLD, method: METHOD, k: K, ann: ANN,
      progress: (p, done, total) => {
        if (p !== current) {
          if (current) phase[current] = secs(phaseStart);
          current = p;
          phaseStart = performance.now();
        }
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          log(`${p} ${done}/${total} (${secs(t0).toFixed(0)} s, rss ${mb(process.memoryUsage().rss / 1024)} MB)`);
        }
      },
    });
    phase[current] = secs(phaseStart);
    const fullSec = secs(t0);
    const peakRss = process.resourceUsage().maxRSS;
    const fullScore = scorePlanted(full.uf, planted);
    log(`full run ${fullSec.toFixed(1)} s: recall ${fullScore.recall.toFixed(4)} precision ${fullScore.precision.toFixed(4)}`);

    full.index = null; // let the native index go before the sample run

    // ---- the sample: same pipeline vs exact brute force ----
    const sample = src.read(0, SAMPLE);
    const sampleSrc: RowSource = { dim: DIM, rows: SAMPLE, read: (r, c = 1) => sample.subarray(r * DIM, (r + c) * DIM) };
    t0 = performance.now();
    // The same method as the full run (SemDeDup: about one k-means cluster per 1,000 rows, as there).
    const annSample = await findNearDuplicates(sampleSrc, { threshold: THRESHOLD, method: METHOD, k: K, ann: ANN });
    const annSampleSec = secs(t0);
    t0 = performance.now();
    const exact = usearch.exactSearch(sample, sample, DIM, Math.min(SAMPLE, 10), 'cos' as never, ANN.threads ?? 0) as unknown as { keys: BigUint64Array; distances: Float32Array };
    const exactSec = secs(t0);
    let exactPairs = 0;
    let pairsFound = 0;
    let fullPairsFound = 0;
    for (let q = 0; q < SAMPLE; q++) {
      for (let j = 0; j < Math.min(SAMPLE, 10); j++) {
        const other = Number(exact.keys[q * 10 + j]);
        if (1 - exact.distances[q * 10 + j] < THRESHOLD) break;
        if (other === q) continue;
        exactPairs++;
        if (annSample.uf.find(q) === annSample.uf.find(other)) pairsFound++;
        // The sample is the full set's first rows: did the full run join this exact pair too?
        if (full.uf.find(q) === full.uf.find(other)) fullPairsFound++;
      }
    }
    // Recall@10 of the sample's index against the exact top-10.
    const index = await buildIndex(sampleSrc, ANN);
    const nn = searchBatch(index, sample, DIM, 10, ANN.threads ?? 0);
    let hit = 0;
    for (let q = 0; q < SAMPLE; q++) {
      const truth = new Set(Array.from(exact.keys.subarray(q * 10, q * 10 + 10), Number));
      for (let j = 0; j < nn.k; j++) if (truth.has(Number(nn.keys[q * nn.k + j]))) hit++;
    }
    const recallAt10 = hit / (SAMPLE * 10);
    const sampleScore = scorePlanted(annSample.uf, planted);
    const exactExtrapolated = exactSec * (ROWS / SAMPLE) ** 2;

    const rows: [string, string][] = [
      ['vectors', `${ROWS.toLocaleString('en')} × ${DIM} float32 (${(ROWS * DIM * 4 / 2 ** 30).toFixed(2)} GiB on disk), ${(fullScore.truePairs).toLocaleString('en')} planted pairs`],
      ['method / index', `${METHOD}; usearch HNSW ${ANN.quantization}, M=${ANN.connectivity}, ef_add=${ANN.expansionAdd}, ef_search=${ANN.expansionSearch}, k=${K}, cos ≥ ${THRESHOLD}`],
      ['cores', `${os.availableParallelism()} (load average ${os.loadavg()[0].toFixed(1)} at the end)`],
      ['generate (not counted)', `${genSec.toFixed(1)} s`],
      ...Object.entries(phase).map(([p, s]) => [`  phase ${p}`, `${s.toFixed(1)} s`] as [string, string]),
      ['full run wall time', `${fullSec.toFixed(1)} s (${Math.round(ROWS / fullSec).toLocaleString('en')} vectors/s)`],
      ['peak RSS', `${mb(peakRss)} MB`],
      ['planted-pair recall (full)', fullScore.recall.toFixed(4)],
      ['grouping precision (full)', fullScore.precision.toFixed(4)],
      [`sample ${SAMPLE.toLocaleString('en')}: ${METHOD} pipeline`, `${annSampleSec.toFixed(2)} s`],
      [`sample ${SAMPLE.toLocaleString('en')}: exact brute force`, `${exactSec.toFixed(2)} s (ratio exact/ANN ${(exactSec / annSampleSec).toFixed(2)})`],
      ['full run: pair recall vs exact search on the sample', `${(fullPairsFound / Math.max(1, exactPairs)).toFixed(4)} (${fullPairsFound}/${exactPairs} directed pairs)`],
      ['sample-only run: pair recall vs exact', `${(pairsFound / Math.max(1, exactPairs)).toFixed(4)} (${pairsFound}/${exactPairs} directed pairs)`],
      ['sample: HNSW recall@10 vs exact (search index)', recallAt10.toFixed(4)],
      ['sample: planted recall / precision', `${sampleScore.recall.toFixed(4)} / ${sampleScore.precision.toFixed(4)}`],
      [`exact all-pairs at ${ROWS.toLocaleString('en')} (extrapolated)`, `${(exactExtrapolated / 60).toFixed(1)} min (ratio to full ANN run ${(exactExtrapolated / fullSec).toFixed(1)}×)`],
    ];
    console.log(['| measure | value |', '| --- | --- |', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n'));
  } finally {
    matrix.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
