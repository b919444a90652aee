// The linear probe: multinomial logistic regression on the stored image embeddings, warm-started at
// the text classifier (W₀ = logitScale × class text embeddings) and pulled towards it, so that a few
// reviews move the classifier only as far as they have evidence for:
//   L(W, b) = 1/n [ Σ_labelled −log p_y(x) + Σ_rejections −log(1 − p_r(x)) ] + λ/2 (‖W − W₀‖² + ‖b‖²)
// The final head blends probe and text classifier: w·(W, b) + (1 − w)·(W₀, 0), still one linear layer.
import type { Classifier, Examples } from './classifier';
import { minimize } from './lbfgs';

export interface ProbeOptions { lambda: number; maxIterations?: number }

/** Loss and gradient at θ = [W (classes × dim, row-major), b (classes)]; `grad` is overwritten. */
export function probeLoss(theta: Float64Array, grad: Float64Array, e: Examples, w0: Float32Array, classes: number, lambda: number): number {
  const d = e.dim;
  const n = e.target.length;
  const biasAt = classes * d;
  grad.fill(0);
  let loss = 0;
  const z = new Float64Array(classes);
  const coef = new Float64Array(classes);
  for (let r = 0; r < n; r++) {
    const xb = r * d;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) {
      let s = theta[biasAt + k];
      const wb = k * d;
      for (let j = 0; j < d; j++) s += theta[wb + j] * e.x[xb + j];
      z[k] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += z[k] = Math.exp(z[k] - max);
    for (let k = 0; k < classes; k++) z[k] /= sum;
    // coef = ∂loss_r/∂logits.
    coef.fill(0);
    const y = e.target[r];
    if (y >= 0) {
      loss -= Math.log(Math.max(z[y], 1e-300));
      for (let k = 0; k < classes; k++) coef[k] += z[k];
      coef[y] -= 1;
    }
    for (const rej of e.rejected[r]) {
      const pr = Math.min(z[rej], 1 - 1e-12);
      loss -= Math.log(1 - pr);
      // ∂/∂z_k −log(1 − p_r) = p_r/(1 − p_r) · (δ_rk − p_k)
      const f = pr / (1 - pr);
      for (let k = 0; k < classes; k++) coef[k] -= f * z[k];
      coef[rej] += f;
    }
    for (let k = 0; k < classes; k++) {
      const c = coef[k];
      if (c === 0) continue;
      const wb = k * d;
      for (let j = 0; j < d; j++) grad[wb + j] += c * e.x[xb + j];
      grad[biasAt + k] += c;
    }
  }
  const inv = 1 / Math.max(1, n);
  loss *= inv;
  for (let i = 0; i < grad.length; i++) grad[i] *= inv;
  let reg = 0;
  for (let i = 0; i < biasAt; i++) {
    const dv = theta[i] - w0[i];
    reg += dv * dv;
    grad[i] += lambda * dv;
  }
  for (let k = 0; k < classes; k++) {
    reg += theta[biasAt + k] ** 2;
    grad[biasAt + k] += lambda * theta[biasAt + k];
  }
  return loss + (lambda / 2) * reg;
}

/** Fits the probe from the zero-shot classifier `base` (its weights are W₀ and the starting point). */
export function fitProbe(base: Classifier, e: Examples, options: ProbeOptions): { weight: Float32Array; bias: Float32Array; iterations: number } {
  const { classes, dim } = base;
  const theta0 = new Float64Array(classes * dim + classes);
  theta0.set(base.weight);
  const result = minimize((t, g) => probeLoss(t, g, e, base.weight, classes, options.lambda), theta0, { maxIterations: options.maxIterations ?? 60, tolerance: 1e-7 });
  return { weight: Float32Array.from(result.x.subarray(0, classes * dim)), bias: Float32Array.from(result.x.subarray(classes * dim)), iterations: result.iterations };
}

/** The head w·probe + (1 − w)·text classifier. */
export function blendProbe(base: Classifier, probe: { weight: Float32Array; bias: Float32Array }, w: number): Classifier {
  return {
    method: 'probe', dim: base.dim, classes: base.classes, cache: null,
    weight: Float32Array.from(probe.weight, (v, i) => w * v + (1 - w) * base.weight[i]),
    bias: Float32Array.from(probe.bias, (v) => w * v),
  };
}
