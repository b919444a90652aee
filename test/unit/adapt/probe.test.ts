// The linear probe's math against independent references: its analytic gradient against central
// finite differences of its own loss, the loss itself against a direct transcription of the formula,
// L-BFGS against the closed-form minimizer of a quadratic, and the fitted probe against an exhaustive
// grid search on a tiny one-dimensional problem.
import { describe, expect, it } from 'vitest';
import { type Examples, zeroShotClassifier } from '../../../main/engine/adapt/classifier';
import { minimize } from '../../../main/engine/adapt/lbfgs';
import { fitProbe, probeLoss } from '../../../main/engine/adapt/probe';
import { mulberry32 } from '../../../main/engine/curate/kmeans';

function randomProblem(seed: number, n: number, dim: number, classes: number) {
  const rnd = mulberry32(seed);
  const x = Float32Array.from({ length: n * dim }, () => rnd() * 2 - 1);
  const target = Int32Array.from({ length: n }, (_, i) => (i % 4 === 3 ? -1 : Math.floor(rnd() * classes)));
  const rejected = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? [(target[i] + 1 + Math.floor(rnd() * (classes - 1))) % classes] : []));
  const w0 = Float32Array.from({ length: classes * dim }, () => rnd() - 0.5);
  const theta = Float64Array.from({ length: classes * dim + classes }, () => rnd() - 0.5);
  return { e: { dim, x, target, rejected } as Examples, w0, theta };
}

/** The loss written out directly from its definition (no shared code with probe.ts). */
function referenceLoss(theta: Float64Array, e: Examples, w0: Float32Array, C: number, lambda: number): number {
  const n = e.target.length;
  let total = 0;
  for (let r = 0; r < n; r++) {
    const logits = Array.from({ length: C }, (_, k) => {
      let s = theta[C * e.dim + k];
      for (let j = 0; j < e.dim; j++) s += theta[k * e.dim + j] * e.x[r * e.dim + j];
      return s;
    });
    const denominator = logits.reduce((a, z) => a + Math.exp(z), 0);
    const p = logits.map((z) => Math.exp(z) / denominator);
    if (e.target[r] >= 0) total -= Math.log(p[e.target[r]]);
    for (const k of e.rejected[r]) total -= Math.log(1 - p[k]);
  }
  let reg = 0;
  for (let i = 0; i < C * e.dim; i++) reg += (theta[i] - w0[i]) ** 2;
  for (let k = 0; k < C; k++) reg += theta[C * e.dim + k] ** 2;
  return total / n + (lambda / 2) * reg;
}

describe('linear probe', () => {
  it('computes the loss of its definition and a gradient matching central finite differences', () => {
    const C = 4, dim = 5, lambda = 0.03;
    const { e, w0, theta } = randomProblem(11, 12, dim, C);
    const grad = new Float64Array(theta.length);
    const loss = probeLoss(theta, grad, e, w0, C, lambda);
    expect(loss).toBeCloseTo(referenceLoss(theta, e, w0, C, lambda), 10);
    const h = 1e-6;
    const scratch = new Float64Array(theta.length);
    for (let i = 0; i < theta.length; i++) {
      const plus = Float64Array.from(theta); plus[i] += h;
      const minus = Float64Array.from(theta); minus[i] -= h;
      const numeric = (probeLoss(plus, scratch, e, w0, C, lambda) - probeLoss(minus, scratch, e, w0, C, lambda)) / (2 * h);
      expect(Math.abs(grad[i] - numeric)).toBeLessThan(1e-6);
    }
  });

  it('L-BFGS reaches the closed-form minimizer of a quadratic', () => {
    // f(x) = ½ xᵀAx − bᵀx with A symmetric positive definite: the minimizer solves Ax = b.
    const A = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 2]];
    const b = [1, -2, 0.5];
    const f = (x: Float64Array, g: Float64Array) => {
      let v = 0;
      for (let i = 0; i < 3; i++) {
        let ax = 0;
        for (let j = 0; j < 3; j++) ax += A[i][j] * x[j];
        g[i] = ax - b[i];
        v += 0.5 * x[i] * ax - b[i] * x[i];
      }
      return v;
    };
    const { x } = minimize(f, new Float64Array(3), { maxIterations: 100, tolerance: 1e-12 });
    // Cramer's rule for the 3×3 system.
    const det = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    const d = det(A);
    for (let c = 0; c < 3; c++) expect(x[c]).toBeCloseTo(det(A.map((row, r) => row.map((v, j) => (j === c ? b[r] : v)))) / d, 6);
  });

  it('fits the same parameters as an exhaustive grid search on a tiny problem', () => {
    // Two classes, one feature: logits w_k·x + b_k. The loss depends only on the differences, and the
    // prior fixes the symmetric part, so a search over (w₀, w₁, b₀, b₁) on a grid finds the optimum.
    const e: Examples = { dim: 1, x: Float32Array.from([1, 0.5, -0.2, -1, 0.8, -0.6]), target: Int32Array.from([0, 0, 1, 1, 1, 0]), rejected: [[], [1], [], [0], [], []] };
    const base = zeroShotClassifier(Float32Array.from([0.3, -0.3]), 1, 1);
    const lambda = 0.2;
    const fitted = fitProbe(base, e, { lambda, maxIterations: 500 });
    const theta = Float64Array.from([...fitted.weight, ...fitted.bias]);
    const scratch = new Float64Array(4);
    let best = Infinity, bestTheta: number[] = [];
    const grid = Array.from({ length: 41 }, (_, i) => -2 + i * 0.1);
    for (const w0 of grid) for (const w1 of grid) for (const b0 of grid) {
      const t = Float64Array.from([w0, w1, b0, -b0]); // the optimum has b₀ = −b₁ (the prior is symmetric in b, the loss depends on b₀ − b₁)
      const v = probeLoss(t, scratch, e, base.weight, 2, lambda);
      if (v < best) { best = v; bestTheta = [...t]; }
    }
    const fittedLoss = probeLoss(theta, scratch, e, base.weight, 2, lambda);
    expect(fittedLoss).toBeLessThanOrEqual(best + 1e-9);
    theta.forEach((v, i) => expect(Math.abs(v - bestTheta[i])).toBeLessThanOrEqual(0.06));
  });
});
