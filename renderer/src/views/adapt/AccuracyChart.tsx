// The estimated accuracy as reviews accumulate: curves on real axes (reviews across, accuracy up). Hand-
// written SVG rather than a chart library: no chart library is a dependency, and one (recharts, chart.js)
// would add hundreds of kilobytes to the renderer bundle for this one chart. Reviews are charted on a
// logarithmic axis when they span more than a factor of 20 (10, 20, 50, … 1000 stay apart), else linearly.
export interface ChartSeries { name: string; className: string; points: { x: number; y: number }[] }

const W = 360, H = 180, PAD = { left: 44, right: 12, top: 10, bottom: 36 };

/** 1-2-5 ticks: every {1, 2, 5} × 10^k in [lo, hi] (log axis), or a 1-2-5 step giving at most 6 ticks from 0 (linear). */
export function reviewTicks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    for (let d = 10 ** Math.floor(Math.log10(lo)); d <= hi; d *= 10) for (const m of [1, 2, 5]) if (m * d >= lo && m * d <= hi) out.push(m * d);
    return out;
  }
  const raw = hi / 5;
  const mag = 10 ** Math.floor(Math.log10(Math.max(1, raw)));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = 0; t <= hi + 1e-9; t += step) out.push(t);
  return out;
}

export function AccuracyChart({ series, xLabel }: { series: ChartSeries[]; xLabel: string }) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x)).filter((x) => x > 0);
  const xMax = Math.max(1, ...xs);
  const xMinSeen = xs.length ? Math.min(...xs) : 1;
  const log = xMax / xMinSeen > 20;
  const lo = log ? 10 ** Math.floor(Math.log10(xMinSeen)) : 0;
  const hi = log ? xMax : Math.max(xMax, reviewTicks(0, xMax, false).at(-1)!);
  const innerW = W - PAD.left - PAD.right, innerH = H - PAD.top - PAD.bottom;
  const sx = (x: number) => PAD.left + (log ? Math.log(x / lo) / Math.log(hi / lo) : x / hi) * innerW;
  const sy = (y: number) => PAD.top + (1 - y) * innerH;
  const yTicks = [0, 0.25, 0.5, 0.75, 1];
  const xTicks = reviewTicks(log ? lo : 0, hi, log);
  const bottom = PAD.top + innerH;
  return (
    <svg className="accuracy-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`estimated accuracy against ${xLabel}`} data-testid="adapt-chart" data-scale={log ? 'log' : 'linear'}>
      {yTicks.map((t) => (
        <g key={`y${t}`}>
          <line x1={PAD.left} x2={W - PAD.right} y1={sy(t)} y2={sy(t)} className="grid" />
          <text x={PAD.left - 5} y={sy(t) + 3} textAnchor="end" className="tick">{Math.round(t * 100)}%</text>
        </g>
      ))}
      {xTicks.map((t) => (
        <g key={`x${t}`} data-testid="x-tick">
          <line x1={sx(t)} x2={sx(t)} y1={bottom} y2={bottom + 4} className="axis" />
          <text x={sx(t)} y={bottom + 14} textAnchor="middle" className="tick">{t.toLocaleString()}</text>
        </g>
      ))}
      <line x1={PAD.left} x2={PAD.left} y1={PAD.top} y2={bottom} className="axis" />
      <line x1={PAD.left} x2={W - PAD.right} y1={bottom} y2={bottom} className="axis" />
      <text x={PAD.left + innerW / 2} y={H - 4} textAnchor="middle" className="axis-title">{xLabel}{log ? ' (log scale)' : ''}</text>
      <text transform={`translate(11 ${PAD.top + innerH / 2}) rotate(-90)`} textAnchor="middle" className="axis-title">estimated accuracy</text>
      {series.map((s) => (
        <g key={s.name} className={s.className} data-testid={`series-${s.name}`}>
          <polyline points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')} fill="none" />
          {s.points.map((p, i) => <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={3}><title>{`${s.name}: ${(p.y * 100).toFixed(1)}% after ${p.x} ${xLabel}`}</title></circle>)}
        </g>
      ))}
    </svg>
  );
}
