// How fast the adapted head labels a large project: 100k embeddings through the ONNX graph (the
// job's path), for a probe head and a cache head with 500 keys.
import { mulberry32 } from '../../main/engine/curate/kmeans';
import { buildCache } from '../../main/engine/adapt/cache';
import { type Classifier, zeroShotClassifier } from '../../main/engine/adapt/classifier';
import { classifierToOnnx, OnnxHead } from '../../main/engine/adapt/onnx-head';

function unitRows(n: number, dim: number, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const x = new Float32Array(n * dim);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (x[r * dim + j] = rnd() - 0.5) ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) x[r * dim + j] *= inv;
  }
  return x;
}

export async function applyThroughput(n: number, dim: number, classes: number): Promise<void> {
  const base = zeroShotClassifier(unitRows(classes, dim, 7), dim, 30);
  const keys = 500;
  const cache = buildCache(base, { dim, x: unitRows(keys, dim, 8), target: Int32Array.from({ length: keys }, (_, i) => i % classes), rejected: Array.from({ length: keys }, () => []) }, 2, 6);
  const x = unitRows(n, dim, 9);
  const PAGE = 4096;
  for (const [name, c] of [['probe (Gemm + Softmax)', base], [`cache (${keys} keys)`, cache]] as [string, Classifier][]) {
    const head = await OnnxHead.load(classifierToOnnx(c));
    const t = performance.now();
    for (let r = 0; r < n; r += PAGE) await head.probs(x.subarray(r * dim, Math.min(n, r + PAGE) * dim));
    const s = (performance.now() - t) / 1000;
    await head.dispose();
    console.log(`apply ${name}: ${n.toLocaleString('en')} items × ${dim}-d → ${classes} classes in ${s.toFixed(2)} s (${Math.round(n / s).toLocaleString('en')} items/s, head only; the job adds reading the matrix and writing labels)`);
  }
}
