// A tiny SVG line chart: estimated accuracy against the number of reviews. Hand-written rather than a
// chart library because it is two polylines with axis labels: a library (recharts, chart.js) would add
// hundreds of kilobytes to the renderer bundle for this one chart.
export interface ChartSeries { name: string; className: string; points: { x: number; y: number }[] }

const W = 320, H = 150, PAD = { left: 36, right: 10, top: 10, bottom: 26 };

export function AccuracyChart({ series, xLabel }: { series: ChartSeries[]; xLabel: string }) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  // One point: the axis starts at 0; several: it spans the reviews charted, so close counts stay apart.
  const xMax = Math.max(1, ...xs);
  const xMin = xs.length > 1 && Math.min(...xs) < xMax ? Math.min(...xs) : 0;
  const sx = (x: number) => PAD.left + ((x - xMin) / (xMax - xMin)) * (W - PAD.left - PAD.right);
  const sy = (y: number) => PAD.top + (1 - y) * (H - PAD.top - PAD.bottom);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return (
    <svg className="accuracy-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`accuracy against ${xLabel}`} data-testid="adapt-chart">
      {ticks.map((t) => (
        <g key={t}>
          <line x1={PAD.left} x2={W - PAD.right} y1={sy(t)} y2={sy(t)} className="grid" />
          <text x={PAD.left - 4} y={sy(t) + 3} textAnchor="end" className="tick">{Math.round(t * 100)}%</text>
        </g>
      ))}
      <text x={PAD.left} y={H - 6} className="tick">{xMin}</text>
      <text x={W - PAD.right} y={H - 6} textAnchor="end" className="tick">{xMax}</text>
      <text x={(W + PAD.left) / 2} y={H - 6} textAnchor="middle" className="tick">{xLabel}</text>
      {series.map((s) => (
        <g key={s.name} className={s.className}>
          <polyline points={s.points.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')} fill="none" />
          {s.points.map((p, i) => <circle key={i} cx={sx(p.x)} cy={sy(p.y)} r={3}><title>{`${s.name}: ${(p.y * 100).toFixed(1)}% at ${p.x} ${xLabel}`}</title></circle>)}
        </g>
      ))}
    </svg>
  );
}
