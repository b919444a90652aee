/** L2-normalizes each `dim`-long row in place; zero rows stay zero instead of becoming NaN. */
export function normalizeRows(data: Float32Array, dim: number): Float32Array {
  for (let offset = 0; offset < data.length; offset += dim) {
    let sum = 0;
    for (let i = offset; i < offset + dim; i++) sum += data[i] * data[i];
    if (sum === 0) continue;
    const inverse = 1 / Math.sqrt(sum);
    for (let i = offset; i < offset + dim; i++) data[i] *= inverse;
  }
  return data;
}

/** Copies `count` rows starting at `row` into a standalone array (ORT output buffers are reused). */
export function sliceRows(data: Float32Array, dim: number, row: number, count: number): Float32Array {
  return data.slice(row * dim, (row + count) * dim);
}
