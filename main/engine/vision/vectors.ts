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

