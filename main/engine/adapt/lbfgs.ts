// Limited-memory BFGS with a backtracking (Armijo) line search: the optimizer of the linear probe.
// Written here rather than taken from a library because the probe needs a warm start, a custom loss
// (rejected labels, a prior pulling towards the text classifier) and Float64Array parameters; the
// classic two-loop recursion is ~60 lines (Nocedal & Wright, Algorithm 7.4).

export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions { maxIterations?: number; memory?: number; tolerance?: number }

export interface LbfgsResult { x: Float64Array; value: number; iterations: number }

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function minimize(f: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const m = options.memory ?? 8;
  const maxIter = options.maxIterations ?? 100;
  const tol = options.tolerance ?? 1e-6;
  const n = x0.length;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    if (Math.sqrt(dot(g, g)) <= tol * Math.max(1, Math.sqrt(dot(x, x)))) break;
    // Two-loop recursion: dir = −H·g.
    for (let i = 0; i < n; i++) dir[i] = -g[i];
    const alpha: number[] = new Array(s.length);
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k] * dot(s[k], dir);
      for (let i = 0; i < n; i++) dir[i] -= alpha[k] * y[k][i];
    }
    if (s.length) {
      const last = s.length - 1;
      const gamma = dot(s[last], y[last]) / dot(y[last], y[last]);
      for (let i = 0; i < n; i++) dir[i] *= gamma;
    } else {
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) dir[i] *= scale;
    }
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k] * dot(y[k], dir);
      for (let i = 0; i < n; i++) dir[i] += (alpha[k] - beta) * s[k][i];
    }
    let slope = dot(g, dir);
    if (slope >= 0) {
      // Not a descent direction (curvature information went stale): restart from steepest descent.
      s.length = 0; y.length = 0; rho.length = 0;
      for (let i = 0; i < n; i++) dir[i] = -g[i] / Math.max(1, Math.sqrt(dot(g, g)));
      slope = dot(g, dir);
    }
    let step = 1;
    let fNew = Infinity;
    for (let tries = 0; tries < 40; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * dir[i];
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < fx)) break;
    const sk = new Float64Array(n);
    const yk = new Float64Array(n);
    for (let i = 0; i < n; i++) { sk[i] = xNew[i] - x[i]; yk[i] = gNew[i] - g[i]; }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      s.push(sk); y.push(yk); rho.push(1 / sy);
      if (s.length > m) { s.shift(); y.shift(); rho.shift(); }
    }
    const converged = Math.abs(fx - fNew) <= tol * Math.max(1, Math.abs(fx));
    x = Float64Array.from(xNew);
    g = Float64Array.from(gNew);
    fx = fNew;
    if (converged) { iter++; break; }
  }
  return { x, value: fx, iterations: iter };
}
