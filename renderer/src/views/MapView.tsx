import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { MapPointsT } from '../../../main/api/methods/similarity';
import type { SignalSummaryT } from '../../../main/api/methods/curation';
import { api } from '../api/client';
import { useEmbeddingMap, useSignalList } from '../api/queries';
import { showRegion } from '../state/similarity';
import { useStore } from '../state/store';
import { EmbedPrompt } from '../components/EmbedPrompt';
import { boundsOf, insidePolygon, type Pt } from './map/lasso';
import { ModelSelect, withModel } from '../components/ModelSelect';

interface Points { ids: Int32Array; xy: Float32Array; values: Float32Array | null; codes: Int16Array | null; categories: string[]; explained: [number, number]; count: number }
interface View { cx: number; cy: number; scale: number }
interface Rect { x0: number; y0: number; x1: number; y1: number }

const PALETTE = ['#5b9cf5', '#f5a25b', '#4cc38a', '#ef5b5b', '#b07cf5', '#f5d35b', '#5bd8f5', '#f55bb8', '#9ccc65', '#ff8a65', '#80cbc4', '#ce93d8'];
const NONE = 'rgba(150, 160, 175, 0.55)';

function decode<T>(b64: string, Ctor: new (buf: ArrayBuffer) => T): T {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Ctor(bytes.buffer);
}

function toPoints(m: MapPointsT): Points {
  return {
    ids: decode(m.ids, Int32Array), xy: decode(m.xy, Float32Array), values: m.values ? decode(m.values, Float32Array) : null,
    codes: m.codes ? decode(m.codes, Int16Array) : null, categories: m.categories, explained: m.explained, count: m.count,
  };
}

/** Viridis-like ramp for t in [0, 1]. */
function ramp(t: number): string {
  const stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  const x = Math.max(0, Math.min(1, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const c = stops[i].map((v, k) => Math.round(v + f * (stops[i + 1][k] - v)));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * The embedding map: every embedded image as a point of a 2-D PCA projection, coloured by label or a
 * signal. Drag a rectangle or a lasso (r / l) to select a region, then show it in the grid or save it as a
 * view; click a point to open its item; wheel to zoom, Alt+drag to pan.
 */
export function MapView() {
  const [colorBy, setColorBy] = useState('label');
  const [embedModel, setEmbedModel] = useState('');
  const signals: SignalSummaryT[] = useSignalList().data ?? [];
  const map = useEmbeddingMap(colorBy);
  const points = useMemo(() => (map.data ? toPoints(map.data) : null), [map.data]);
  const error = map.error ? map.error.message : null;
  const loading = map.isFetching;
  const [view, setView] = useState<View | null>(null);
  const [size, setSize] = useState({ w: 800, h: 600 });
  const [drag, setDrag] = useState<Rect | null>(null);
  const [tool, setTool] = useState<'rect' | 'lasso'>('rect');
  const [lasso, setLasso] = useState<Pt[] | null>(null);
  const [viewName, setViewName] = useState<string | null>(null);
  const [selected, setSelected] = useState<number[] | null>(null);
  const [hover, setHover] = useState<{ i: number; x: number; y: number } | null>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const panRef = useRef<{ x: number; y: number; view: View } | null>(null);


  useLayoutEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setSize({ w: el.clientWidth, h: el.clientHeight }));
    ro.observe(el);
    setSize({ w: el.clientWidth, h: el.clientHeight });
    return () => ro.disconnect();
  }, [points !== null]);

  // Fit the data into the canvas once per data set.
  const fit = useMemo((): View | null => {
    if (!points || points.count === 0) return null;
    let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (let i = 0; i < points.count; i++) {
      const x = points.xy[2 * i], y = points.xy[2 * i + 1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    const scale = 0.9 * Math.min(size.w / Math.max(1e-9, maxX - minX), size.h / Math.max(1e-9, maxY - minY));
    return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, scale };
  }, [points, size.w, size.h]);
  const v = view ?? fit;

  const toScreen = useCallback((x: number, y: number, vv: View) => [size.w / 2 + (x - vv.cx) * vv.scale, size.h / 2 - (y - vv.cy) * vv.scale] as const, [size]);

  const range = useMemo(() => {
    if (!points?.values) return null;
    let lo = Infinity, hi = -Infinity;
    for (const x of points.values) if (!Number.isNaN(x)) { if (x < lo) lo = x; if (x > hi) hi = x; }
    return Number.isFinite(lo) ? { lo, hi } : null;
  }, [points]);

  const colorOf = useCallback((i: number): string => {
    if (!points) return NONE;
    if (points.codes && points.categories.length === 0) return PALETTE[0];
    if (points.codes) return points.codes[i] >= 0 ? PALETTE[points.codes[i] % PALETTE.length] : NONE;
    if (points.values && range) {
      const x = points.values[i];
      return Number.isNaN(x) ? NONE : ramp(range.hi > range.lo ? (x - range.lo) / (range.hi - range.lo) : 0.5);
    }
    return PALETTE[0];
  }, [points, range]);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || !points || !v) return;
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(size.w * dpr);
    canvas.height = Math.round(size.h * dpr);
    const ctx = canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, size.w, size.h);
    const sel = selected ? new Set(selected) : null;
    const r = points.count > 20000 ? 1.2 : points.count > 2000 ? 2 : 3;
    // Grouped by colour: one fillStyle change per colour, not per point.
    const byColor = new Map<string, number[]>();
    for (let i = 0; i < points.count; i++) {
      const c = sel && !sel.has(points.ids[i]) ? 'dim' : colorOf(i);
      let list = byColor.get(c);
      if (!list) byColor.set(c, (list = []));
      list.push(i);
    }
    for (const [c, list] of byColor) {
      ctx.fillStyle = c === 'dim' ? 'rgba(120, 130, 145, 0.18)' : c;
      ctx.beginPath();
      for (const i of list) {
        const [sx, sy] = toScreen(points.xy[2 * i], points.xy[2 * i + 1], v);
        ctx.moveTo(sx + r, sy);
        ctx.arc(sx, sy, r, 0, 2 * Math.PI);
      }
      ctx.fill();
    }
    if (hover) {
      const [sx, sy] = toScreen(points.xy[2 * hover.i], points.xy[2 * hover.i + 1], v);
      ctx.strokeStyle = '#fff';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(sx, sy, r + 3, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }, [points, v, size, colorOf, selected, hover, toScreen]);

  const local = (e: React.MouseEvent) => {
    const b = canvasRef.current!.getBoundingClientRect();
    return { x: e.clientX - b.left, y: e.clientY - b.top };
  };

  const nearest = (x: number, y: number): number | null => {
    if (!points || !v) return null;
    let best = -1;
    let bd = 64;
    for (let i = 0; i < points.count; i++) {
      const [sx, sy] = toScreen(points.xy[2 * i], points.xy[2 * i + 1], v);
      const d = (sx - x) ** 2 + (sy - y) ** 2;
      if (d < bd) {
        bd = d;
        best = i;
      }
    }
    return best >= 0 ? best : null;
  };

  const finishRect = (rect: Rect) => {
    if (!points || !v) return;
    const [x0, x1] = [Math.min(rect.x0, rect.x1), Math.max(rect.x0, rect.x1)];
    const [y0, y1] = [Math.min(rect.y0, rect.y1), Math.max(rect.y0, rect.y1)];
    if (x1 - x0 < 3 && y1 - y0 < 3) {
      setSelected(null);
      return;
    }
    const ids: number[] = [];
    for (let i = 0; i < points.count; i++) {
      const [sx, sy] = toScreen(points.xy[2 * i], points.xy[2 * i + 1], v);
      if (sx >= x0 && sx <= x1 && sy >= y0 && sy <= y1) ids.push(points.ids[i]);
    }
    setSelected(ids.length ? ids.sort((a, b) => a - b) : null);
  };

  const finishLasso = (poly: Pt[]) => {
    if (!points || !v || poly.length < 3) return setSelected(null);
    const b = boundsOf(poly);
    const ids: number[] = [];
    for (let i = 0; i < points.count; i++) {
      const [sx, sy] = toScreen(points.xy[2 * i], points.xy[2 * i + 1], v);
      if (sx >= b.x0 && sx <= b.x1 && sy >= b.y0 && sy <= b.y1 && insidePolygon(sx, sy, poly)) ids.push(points.ids[i]);
    }
    setSelected(ids.length ? ids.sort((a, b2) => a - b2) : null);
  };

  /** A click (no drag) on a point opens its item in the panel. */
  const clickAt = (x: number, y: number): boolean => {
    const i = nearest(x, y);
    if (i === null || !points) return false;
    useStore.setState({ openItem: points.ids[i] });
    return true;
  };

  const saveRegion = async () => {
    if (!selected || !viewName?.trim()) return;
    try {
      await api.call('views.save', { name: viewName.trim(), state: { region: { ids: selected, label: `${selected.length.toLocaleString()} items picked on the map` } } });
      setViewName(null);
    } catch (err) {
      useStore.getState().report(err);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).closest('input, textarea, select') || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === 'l') setTool('lasso');
      else if (e.key === 'r') setTool('rect');
      else if (e.key === 'Escape') setSelected(null);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const legend = points?.codes
    ? points.categories.map((c, k) => ({ label: c, color: PALETTE[k % PALETTE.length] }))
    : [];
  const numericSignals = signals.filter((s) => !s.name.startsWith('dup.') && s.max > s.min);

  return (
    <div className="map-view" data-testid="map-view">
      <div className="map-head">
        <h2>Embedding map</h2>
        <span className="muted small">
          {points ? `${points.count.toLocaleString()} images · PCA (${(100 * points.explained[0]).toFixed(0)}% + ${(100 * points.explained[1]).toFixed(0)}% of variance)` : ''}
        </span>
        <span className="spacer" />
        <label className="small muted">
          Colour by{' '}
          <select value={colorBy} onChange={(e) => setColorBy(e.target.value)} data-testid="map-color">
            <option value="none">nothing</option>
            <option value="label">label</option>
            {numericSignals.map((s) => <option key={s.name} value={s.name}>{s.name}</option>)}
          </select>
        </label>
        <span className="map-tools" role="group" aria-label="Selection tool">
          <button className={tool === 'rect' ? 'active' : 'secondary'} aria-pressed={tool === 'rect'} data-testid="map-tool-rect" onClick={() => setTool('rect')} title="Rectangle (r)">Rectangle</button>
          <button className={tool === 'lasso' ? 'active' : 'secondary'} aria-pressed={tool === 'lasso'} data-testid="map-tool-lasso" onClick={() => setTool('lasso')} title="Lasso (l)">Lasso</button>
        </span>
        <button onClick={() => setView(null)} disabled={!view}>Reset view</button>
        {map.data && <span className="muted small" data-testid="map-model" title="The model whose image embeddings this map projects">model {map.data.model}</span>}
      </div>
      {error && (
        <div className="empty">
          <h3>No map yet</h3>
          <p className="muted">{error}</p>
          <EmbedPrompt reason="The map places every embedded image." />
          <ModelSelect task="embed" value={embedModel} onChange={setEmbedModel} />
          <button onClick={() => api.call('embed.start', withModel(embedModel)).catch((err: unknown) => useStore.getState().report(err))}>Embed images</button>
        </div>
      )}
      {!error && (
        <div className="map-canvas-wrap" ref={wrapRef}>
          {loading && !points && <div className="map-loading muted">Projecting embeddings…</div>}
          <canvas
            ref={canvasRef}
            data-testid="map-canvas"
            style={{ width: size.w, height: size.h }}
            onMouseDown={(e) => {
              if (e.button !== 0 || !v) return;
              const p = local(e);
              if (e.altKey) panRef.current = { ...p, view: v };
              else if (tool === 'lasso') setLasso([p]);
              else setDrag({ x0: p.x, y0: p.y, x1: p.x, y1: p.y });
            }}
            onMouseMove={(e) => {
              const p = local(e);
              if (panRef.current) {
                const s = panRef.current;
                setView({ ...s.view, cx: s.view.cx - (p.x - s.x) / s.view.scale, cy: s.view.cy + (p.y - s.y) / s.view.scale });
              } else if (lasso) {
                const last = lasso[lasso.length - 1];
                if (Math.abs(p.x - last.x) + Math.abs(p.y - last.y) >= 3) setLasso([...lasso, p]);
              } else if (drag) setDrag({ ...drag, x1: p.x, y1: p.y });
              else {
                const i = nearest(p.x, p.y);
                setHover(i === null ? null : { i, x: p.x, y: p.y });
              }
            }}
            onMouseUp={(e) => {
              panRef.current = null;
              const p = local(e);
              const start = drag ? { x: drag.x0, y: drag.y0 } : lasso?.[0];
              const moved = start ? Math.abs(p.x - start.x) + Math.abs(p.y - start.y) : Infinity;
              if (start && moved < 4 && clickAt(p.x, p.y)) { /* a click on a point: opened */ }
              else if (lasso) finishLasso([...lasso, p]);
              else if (drag) finishRect(drag);
              setDrag(null);
              setLasso(null);
            }}
            onMouseLeave={() => {
              panRef.current = null;
              setHover(null);
            }}
            onWheel={(e) => {
              if (!v) return;
              const p = local(e);
              const f = Math.exp(-e.deltaY * 0.0015);
              // Zoom about the cursor: the data point under it stays put.
              const dx = (p.x - size.w / 2) / v.scale;
              const dy = (p.y - size.h / 2) / v.scale;
              setView({ scale: v.scale * f, cx: v.cx + dx - dx / f, cy: v.cy - dy + dy / f });
            }}
          />
          {drag && (
            <div className="map-rect" style={{ left: Math.min(drag.x0, drag.x1), top: Math.min(drag.y0, drag.y1), width: Math.abs(drag.x1 - drag.x0), height: Math.abs(drag.y1 - drag.y0) }} />
          )}
          {lasso && (
            <svg className="map-lasso" width={size.w} height={size.h} data-testid="map-lasso">
              <polygon points={lasso.map((q) => `${q.x},${q.y}`).join(' ')} fill="rgba(91, 156, 245, 0.12)" stroke="#5b9cf5" strokeWidth={1.5} strokeDasharray="4 3" />
            </svg>
          )}
          {hover && points && !drag && !lasso && (
            <div className="map-tip" style={{ left: hover.x + 14, top: hover.y + 14 }}>
              <img src={api.mediaUrl('thumb', points.ids[hover.i])} alt="" />
              <div className="small">
                #{points.ids[hover.i]}
                {points.codes && points.codes[hover.i] >= 0 && ` · ${points.categories[points.codes[hover.i]]}`}
                {points.values && !Number.isNaN(points.values[hover.i]) && ` · ${points.values[hover.i].toFixed(3)}`}
              </div>
            </div>
          )}
          {legend.length > 0 && (
            <div className="map-legend small">
              {legend.slice(0, 24).map((l) => <div key={l.label}><span className="dot" style={{ background: l.color }} />{l.label}</div>)}
              <div><span className="dot" style={{ background: NONE }} />no label</div>
            </div>
          )}
          {range && (
            <div className="map-legend small">
              <div className="ramp" />
              <div className="ramp-labels"><span>{range.lo.toFixed(2)}</span><span>{range.hi.toFixed(2)}</span></div>
            </div>
          )}
          <div className="map-actions">
            {selected ? (
              <>
                <span><b>{selected.length.toLocaleString()}</b> selected</span>
                <button className="primary" data-testid="map-show-selection" onClick={() => showRegion(selected)}>Show in grid</button>
                {viewName === null ? (
                  <button className="secondary" data-testid="map-save-view" onClick={() => setViewName('')}>Save as view…</button>
                ) : (
                  <form className="save-view" onSubmit={(e) => { e.preventDefault(); void saveRegion(); }}>
                    <input autoFocus name="view-name" aria-label="View name" placeholder="View name" value={viewName} onChange={(e) => setViewName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setViewName(null)} />
                    <button type="submit" disabled={!viewName.trim()}>Save</button>
                  </form>
                )}
                <button onClick={() => setSelected(null)}>Clear</button>
              </>
            ) : (
              <span className="muted small">{tool === 'lasso' ? 'Draw a lasso' : 'Drag a rectangle'} to select a region (r / l switch) · click a point to open it · wheel to zoom · Alt+drag to pan</span>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
