import { useMemo, useRef, useState } from 'react';
import type { HistogramT, RuleT } from '../../../../main/api/methods/curation';
import { edgeOf, formatValue, groupBins, keepsAbove, thresholdAt } from './threshold';

type Op = NonNullable<RuleT['op']>;
const W = 320;
const H = 84;
const BARS = 64;

interface Props {
  hist: HistogramT;
  op: Op;
  threshold: number;
  disabled: boolean;
  /** Every move of the handle (threshold snapped to a bin edge). */
  onChange(threshold: number): void;
  /** The handle was released. */
  onCommit(): void;
  testId?: string;
}

/**
 * A signal's distribution with a draggable threshold handle. Bars are drawn on a square-root scale
 * (skewed signals keep their tails visible); the removed side is dimmed red. Arrow keys nudge the
 * handle one bin (Shift: ten) for keyboard users.
 */
export function HistogramSlider({ hist, op, threshold, disabled, onChange, onCommit, testId }: Props) {
  const svg = useRef<SVGSVGElement>(null);
  const [dragging, setDragging] = useState(false);
  const n = hist.fine.length;
  const bars = useMemo(() => groupBins(hist.fine, BARS), [hist]);
  const peak = Math.max(1, ...bars.map((b) => b.count));
  const k = edgeOf(hist, op, threshold);
  const x = (edge: number) => (n === 0 ? 0 : (edge / n) * W);
  const above = keepsAbove(op);

  const edgeFromEvent = (clientX: number): number => {
    const rect = svg.current!.getBoundingClientRect();
    const ratio = Math.max(0, Math.min(1, (clientX - rect.left) / rect.width));
    return Math.round(ratio * n);
  };
  const moveTo = (edge: number) => {
    const clamped = Math.max(0, Math.min(n, edge));
    onChange(thresholdAt(hist, op, clamped));
  };

  if (hist.count === 0) return <div className="hist-empty muted small">No values yet: run statistics to measure this signal.</div>;
  return (
    <div className={`hist ${disabled ? 'off' : ''} ${dragging ? 'dragging' : ''}`}>
      <svg
        ref={svg}
        viewBox={`0 0 ${W} ${H}`}
        preserveAspectRatio="none"
        data-testid={testId}
        role="slider"
        tabIndex={0}
        aria-valuemin={hist.min}
        aria-valuemax={hist.max}
        aria-valuenow={threshold}
        aria-label="threshold"
        onPointerDown={(e) => {
          svg.current?.setPointerCapture?.(e.pointerId);
          setDragging(true);
          moveTo(edgeFromEvent(e.clientX));
        }}
        onPointerMove={(e) => dragging && moveTo(edgeFromEvent(e.clientX))}
        onPointerUp={() => {
          if (!dragging) return;
          setDragging(false);
          onCommit();
        }}
        onKeyDown={(e) => {
          const step = e.shiftKey ? 10 : 1;
          if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
            e.preventDefault();
            e.stopPropagation();
            moveTo(k + (e.key === 'ArrowLeft' ? -step : step));
          }
        }}
        onKeyUp={(e) => (e.key === 'ArrowLeft' || e.key === 'ArrowRight') && onCommit()}
      >
        {bars.map((b) => {
          const h = b.count === 0 ? 0 : Math.max(1.5, Math.sqrt(b.count / peak) * (H - 6));
          const removed = above ? b.end <= k : b.start >= k;
          const split = !removed && (above ? b.start < k : b.end > k);
          return (
            <rect
              key={b.start}
              className={removed ? 'hbar removed' : split ? 'hbar split' : 'hbar kept'}
              x={x(b.start) + 0.5}
              y={H - h}
              width={Math.max(0.5, x(b.end) - x(b.start) - 1)}
              height={h}
            />
          );
        })}
        <rect className="shade" x={above ? 0 : x(k)} y={0} width={above ? x(k) : W - x(k)} height={H} />
        <line className="handle-line" x1={x(k)} x2={x(k)} y1={0} y2={H} />
        <rect className="handle" x={x(k) - 5} y={H / 2 - 12} width={10} height={24} rx={3} />
      </svg>
      <div className="hist-axis small muted">
        <span>{formatValue(hist.min)}</span>
        <span className="hist-scale">{hist.scale === 'log' ? 'log scale' : ''}</span>
        <span>{formatValue(hist.max)}</span>
      </div>
    </div>
  );
}
