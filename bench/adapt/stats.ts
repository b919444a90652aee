// Mean and 95% confidence half-width over seeds (Student t), printed as "mean ± half" in percent.
export function meanCi(v: number[]): { mean: number; half: number } {
  const T975 = [NaN, 12.71, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  if (v.length < 2) return { mean, half: NaN };
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
  return { mean, half: (T975[v.length - 1] ?? 1.96) * sd / Math.sqrt(v.length) };
}

export const pct = (m: { mean: number; half: number }) => `${(m.mean * 100).toFixed(1)} ± ${Number.isNaN(m.half) ? '?' : (m.half * 100).toFixed(1)}`;
