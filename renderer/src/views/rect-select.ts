// Rectangle (drag) selection over the virtualized grid, computed from geometry alone: a rectangle in
// content coordinates covers rows r0..r1 and columns c0..c1, i.e. one index range per row, whatever
// is mounted. Ctrl/Cmd or Shift while dragging adds to the selection.
import { useCallback, useRef, useState, type MouseEvent as ReactMouseEvent, type RefObject } from 'react';
import { commitRect, type Range, usePicked } from '../state/picked';

/** `shift`: row-space minus content-space y (a scaled scroll range draws rows shifted, Grid.tsx). */
export interface GridGeometry { columns: number; tile: number; rowHeight: number; itemCount: number; shift?: number }
export interface Rect { x: number; y: number; w: number; h: number }

const DRAG_THRESHOLD = 6;

/** Index ranges a content-space rectangle covers. */
export function rectRanges(r: Rect, g: GridGeometry): Range[] {
  if (g.itemCount === 0) return [];
  const c0 = Math.max(0, Math.floor(r.x / g.tile));
  const c1 = Math.min(g.columns - 1, Math.floor((r.x + r.w) / g.tile));
  const y = r.y + (g.shift ?? 0);
  const r0 = Math.max(0, Math.floor(y / g.rowHeight));
  const r1 = Math.min(Math.ceil(g.itemCount / g.columns) - 1, Math.floor((y + r.h) / g.rowHeight));
  const out: Range[] = [];
  if (c1 < c0) return out;
  for (let row = r0; row <= r1; row++) {
    const a = row * g.columns + c0;
    const b = Math.min(g.itemCount - 1, row * g.columns + c1);
    if (b >= a) out.push([a, b]);
  }
  return out;
}

export function useRectSelect(content: RefObject<HTMLDivElement | null>, geometry: GridGeometry) {
  const [rect, setRect] = useState<Rect | null>(null);
  const geo = useRef(geometry);
  geo.current = geometry;
  /** Set after a drag so the click that ends it does not reset the selection. */
  const swallowClick = useRef(false);

  const onMouseDown = useCallback((e: ReactMouseEvent) => {
    if (e.button !== 0 || !content.current) return;
    const el = content.current;
    const origin = el.getBoundingClientRect();
    const start = { x: e.clientX - origin.left, y: e.clientY - origin.top };
    const additive = e.ctrlKey || e.metaKey || e.shiftKey;
    let dragging = false;
    const move = (ev: MouseEvent) => {
      const now = el.getBoundingClientRect();
      const p = { x: ev.clientX - now.left, y: ev.clientY - now.top };
      if (!dragging && Math.hypot(p.x - start.x, p.y - start.y) < DRAG_THRESHOLD) return;
      dragging = true;
      ev.preventDefault();
      const r = { x: Math.min(start.x, p.x), y: Math.min(start.y, p.y), w: Math.abs(p.x - start.x), h: Math.abs(p.y - start.y) };
      setRect(r);
      usePicked.getState().setRect(rectRanges(r, geo.current), additive);
    };
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
      if (dragging) {
        commitRect();
        swallowClick.current = true;
        setTimeout(() => { swallowClick.current = false; }, 0);
      }
      setRect(null);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  }, [content]);

  const onClickCapture = useCallback((e: ReactMouseEvent) => {
    if (swallowClick.current) {
      e.stopPropagation();
      swallowClick.current = false;
    }
  }, []);

  return { rect, onMouseDown, onClickCapture };
}
