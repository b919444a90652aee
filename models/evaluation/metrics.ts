// Metric helpers for the built-in model's evaluation: plain functions over normalized embedding rows.

export function dot(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let k = 0; k < dim; k++) s += a[ai * dim + k] * b[bi * dim + k];
  return s;
}

export function argmaxRow(scores: Float32Array | number[]): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return best;
}

/** ROC AUC by the rank statistic (probability that a random positive outscores a random negative; ties count half). */
export function rocAuc(positives: number[], negatives: number[]): number {
  const all = [...positives.map((v) => ({ v, p: 1 })), ...negatives.map((v) => ({ v, p: 0 }))].sort((a, b) => a.v - b.v);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j].v === all[i].v) j++;
    const avgRank = (i + j + 1) / 2;
    for (let k = i; k < j; k++) if (all[k].p) rankSum += avgRank;
    i = j;
  }
  const n1 = positives.length;
  const n0 = negatives.length;
  return (rankSum - (n1 * (n1 + 1)) / 2) / (n1 * n0);
}

export function maskIou(a: Uint8Array, b: Uint8Array): number {
  let inter = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) inter++;
    if (a[i] || b[i]) union++;
  }
  return union === 0 ? 0 : inter / union;
}
