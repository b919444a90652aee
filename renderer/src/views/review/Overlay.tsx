import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { css, decodeRle, encodeRle, paintDisc, paintRle } from './rle';
import { colorOfClass } from './class-color';
import { type Ann, classSlot, useReview } from './state';

type Box = [number, number, number, number];

const STATE_MARK: Record<string, string> = { proposed: '?', accepted: '✓', rejected: '✗', edited: '✎', source: '' };

/** The item's image with its boxes (label + score), masks (one canvas, adjustable opacity) and a drag-to-draw mode. */
export function Overlay() {
  const item = useReview((s) => s.item)!;
  const selected = useReview((s) => s.selected);
  const hidden = useReview((s) => s.hidden);
  const opacity = useReview((s) => s.opacity);
  const classes = useReview((s) => s.classes);
  const drawing = useReview((s) => s.drawing);
  const brush = useReview((s) => s.brush);
  const brushSize = useReview((s) => s.brushSize);
  // The mask being brushed (decoded once per stroke), drawn in place of its stored RLE.
  const stroke$ = useRef<{ id: number; mask: Uint8Array; last: { x: number; y: number } } | null>(null);
  const [, redraw] = useState(0);
  const [natural, setNatural] = useState<{ w: number; h: number } | null>(null);
  const [drag, setDrag] = useState<{ x0: number; y0: number; x1: number; y1: number } | null>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const svg = useRef<SVGSVGElement>(null);
  const w = item.width ?? natural?.w ?? 1;
  const h = item.height ?? natural?.h ?? 1;
  const visible = item.annotations.filter((a) => !hidden.includes(a.label) && a.kind !== 'label');
  const colorOf = (a: Ann) => colorOfClass(a.label, classSlot(classes, a).index);

  // Display pixels per image pixel, so strokes and tags keep a constant on-screen size.
  const [scale, setScale] = useState(1);
  useEffect(() => {
    const el = svg.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setScale(el.clientWidth / w || 1));
    ro.observe(el);
    return () => ro.disconnect();
  }, [w]);
  useEffect(() => setNatural(null), [item.itemId]);
  // The largest size with the image's aspect that fits the stage (which shrinks when the jobs panel grows).
  const stage = useRef<HTMLDivElement>(null);
  const [room, setRoom] = useState({ width: 0, height: 0 });
  useEffect(() => {
    const el = stage.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setRoom({ width: el.clientWidth - 24, height: el.clientHeight - 24 }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  const k = Math.max(0.01, Math.min(room.width / w, room.height / h));
  const fit = { width: Math.floor(w * k), height: Math.floor(h * k) };
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d')!;
    const img = ctx.createImageData(w, h);
    for (const a of visible) {
      if (!a.rle || a.state === 'rejected' || a.rle.size[0] !== h || a.rle.size[1] !== w) continue;
      const color = [...colorOf(a), 255] as [number, number, number, number];
      const live = stroke$.current?.id === a.id ? stroke$.current.mask : null;
      if (live) {
        for (let i = 0; i < live.length; i++) if (live[i]) img.data.set(color, i * 4);
      } else paintRle(a.rle as never, img.data, color);
    }
    ctx.putImageData(img, 0, 0);
  });

  const toImage = (e: React.MouseEvent) => {
    const r = svg.current!.getBoundingClientRect();
    return { x: Math.max(0, Math.min(w, ((e.clientX - r.left) / r.width) * w)), y: Math.max(0, Math.min(h, ((e.clientY - r.top) / r.height) * h)) };
  };
  const finish = () => {
    if (drag) {
      const box: Box = [Math.min(drag.x0, drag.x1), Math.min(drag.y0, drag.y1), Math.abs(drag.x1 - drag.x0), Math.abs(drag.y1 - drag.y0)];
      setDrag(null);
      if (box[2] >= 2 && box[3] >= 2) void useReview.getState().addBox(box.map((v) => Math.round(v)) as Box);
    }
  };

  const stroke = 2 / scale;
  const font = 13 / scale;
  return (
    <div className="review-stage" data-testid="review-stage" ref={stage}>
      <div className="review-canvas" style={{ width: fit.width, height: fit.height }}>
        <img src={api.mediaUrl('image', item.itemId)} alt="" onLoad={(e) => setNatural({ w: e.currentTarget.naturalWidth, h: e.currentTarget.naturalHeight })} draggable={false} />
        <canvas ref={canvas} style={{ opacity }} className="review-masks" />
        <svg
          ref={svg}
          viewBox={`0 0 ${w} ${h}`}
          preserveAspectRatio="none"
          className={drawing || brush ? 'drawing' : ''}
          onMouseDown={(e) => {
            const target = item.annotations.find((a) => a.id === selected);
            if (brush && target?.rle && target.rle.size[0] === h && target.rle.size[1] === w) {
              e.preventDefault();
              const p = toImage(e);
              stroke$.current = { id: target.id, mask: decodeRle(target.rle as never), last: p };
              paintDisc(stroke$.current.mask, w, h, p.x, p.y, brushSize / scale, brush === 'add' ? 1 : 0);
              redraw((n) => n + 1);
              return;
            }
            if (!drawing) return;
            const p = toImage(e);
            setDrag({ x0: p.x, y0: p.y, x1: p.x, y1: p.y });
          }}
          onMouseMove={(e) => {
            if (stroke$.current && brush) {
              // Discs along the segment from the last point, so a fast drag leaves no gaps.
              const p = toImage(e);
              const { last } = stroke$.current;
              const r = brushSize / scale;
              const steps = Math.max(1, Math.ceil(Math.hypot(p.x - last.x, p.y - last.y) / (r / 2)));
              for (let k = 1; k <= steps; k++) paintDisc(stroke$.current.mask, w, h, last.x + ((p.x - last.x) * k) / steps, last.y + ((p.y - last.y) * k) / steps, r, brush === 'add' ? 1 : 0);
              stroke$.current.last = p;
              redraw((n) => n + 1);
              return;
            }
            if (drag) setDrag({ ...drag, ...(() => { const p = toImage(e); return { x1: p.x, y1: p.y }; })() });
          }}
          onMouseUp={() => {
            const done = stroke$.current;
            if (done) {
              stroke$.current = null;
              void useReview.getState().setMask(done.id, encodeRle(done.mask, h, w));
              return;
            }
            finish();
          }}
          data-testid="review-svg"
        >
          {visible.filter((a) => a.bbox).map((a) => {
            const [x, y, bw, bh] = a.bbox!;
            const c = css(colorOf(a));
            const sel = a.id === selected;
            const text = `${STATE_MARK[a.state] ?? ''} ${a.label}${a.score !== null ? ` ${a.score.toFixed(2)}` : ''}`;
            const tw = Math.min(w, text.length * font * 0.6 + 6 / scale);
            // Keep the tag inside the image: shift it left at the right edge, below the top edge.
            const tx = Math.max(0, Math.min(x, w - tw));
            const ty = y - font - 2 >= 0 ? y - font - 2 : Math.min(h - font - 2, y + bh);
            return (
              <g key={a.id} className={`ann ${a.state} ${sel ? 'selected' : ''}`} data-testid={`box-${a.id}`} onMouseDown={(e) => { if (!drawing) { e.stopPropagation(); useReview.getState().set({ selected: a.id }); } }}>
                <rect x={x} y={y} width={bw} height={bh} fill="none" stroke={c} strokeWidth={sel ? stroke * 2 : stroke} strokeDasharray={a.state === 'rejected' ? `${stroke * 3} ${stroke * 2}` : undefined} opacity={a.state === 'rejected' ? 0.55 : 1} />
                <rect x={tx} y={ty} width={tw} height={font + 2} fill={c} opacity={a.state === 'rejected' ? 0.55 : 0.9} />
                <text x={tx + 3 / scale} y={ty + font - 1} fontSize={font} fill="#0b0d10">{text}</text>
              </g>
            );
          })}
          {drag && <rect x={Math.min(drag.x0, drag.x1)} y={Math.min(drag.y0, drag.y1)} width={Math.abs(drag.x1 - drag.x0)} height={Math.abs(drag.y1 - drag.y0)} fill="none" stroke="#fff" strokeDasharray="4 3" strokeWidth={stroke} />}
        </svg>
      </div>
    </div>
  );
}
