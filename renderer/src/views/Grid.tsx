import { elementScroll, observeElementOffset, useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { itemAt, PAGE_SIZE, useStore } from '../state/store';
import { Tile } from '../components/Tile';
import { isPicked, usePicked } from '../state/picked';
import { useRectSelect } from './rect-select';
import { MAX_SCROLL_PX, scrollScale } from './scroll-scale';

const MIN_TILE = 190;
const CAPTION_HEIGHT = 58;
/** Virtualized grid: only visible rows are in the DOM and only their pages are fetched, so 100k+ items scroll smoothly. */
export function Grid() {
  const itemCount = useStore((s) => s.itemCount);
  const pages = useStore((s) => s.pages);
  const cursor = useStore((s) => s.cursor);
  const openItem = useStore((s) => s.openItem);
  const scrollRef = useRef<HTMLDivElement>(null);
  const contentRef = useRef<HTMLDivElement>(null);
  const picked = usePicked((p) => p.ranges);
  const [width, setWidth] = useState(1000);
  const [height, setHeight] = useState(600);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => { setWidth(el.clientWidth); setHeight(el.clientHeight); });
    ro.observe(el);
    setWidth(el.clientWidth);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, [itemCount === 0]);

  const columns = Math.max(1, Math.floor((width - 16) / MIN_TILE));
  const tile = Math.floor((width - 16) / columns);
  const rowHeight = tile - 8 + CAPTION_HEIGHT;
  const rows = Math.ceil(itemCount / columns);
  const scale = scrollScale(rows * rowHeight, height);
  const scaleRef = useRef(scale);
  scaleRef.current = scale;
  const virtualizer = useVirtualizer({
    count: rows, getScrollElement: () => scrollRef.current, estimateSize: () => rowHeight, overscan: 4,
    // The virtualizer works in row space; the element scrolls a range `scale` times shorter.
    observeElementOffset: (instance, cb) => observeElementOffset(instance, (offset, scrolling) => cb(offset * scaleRef.current, scrolling)),
    scrollToFn: (offset, options, instance) => elementScroll(offset / scaleRef.current, options, instance),
  });
  const offset = virtualizer.scrollOffset ?? 0;
  /** Row-space minus content-space y of what is in view: rows are drawn shifted by it under a scaled range. */
  const shift = scale === 1 ? 0 : offset - offset / scale;
  const drag = useRectSelect(contentRef, { columns, tile, rowHeight, itemCount, shift });
  /** scrollToIndex, also under a scaled range (the virtualizer clamps its targets to the element's own range). */
  const scrollToRow = (row: number, align: 'auto' | 'start') => {
    const el = scrollRef.current;
    const k = scaleRef.current;
    if (k === 1 || !el) return virtualizer.scrollToIndex(row, { align });
    const now = el.scrollTop * k;
    const top = row * rowHeight;
    if (align === 'auto' && top >= now && top + rowHeight <= now + el.clientHeight) return;
    el.scrollTop = (align === 'auto' && top > now ? top + rowHeight - el.clientHeight : top) / k;
  };

  useEffect(() => virtualizer.measure(), [rowHeight, virtualizer]);

  const virtualRows = virtualizer.getVirtualItems();
  const first = virtualRows[0]?.index ?? 0;
  const last = virtualRows.at(-1)?.index ?? 0;
  useEffect(() => {
    const firstPage = Math.floor((first * columns) / PAGE_SIZE);
    const lastPage = Math.floor(Math.min(itemCount - 1, (last + 1) * columns) / PAGE_SIZE);
    for (let p = firstPage; p <= lastPage && itemCount > 0; p++) void useStore.getState().loadPage(p);
  }, [first, last, columns, itemCount, pages]);

  useEffect(() => {
    scrollToRow(Math.floor(cursor / columns), 'auto');
  }, [cursor, columns, virtualizer]);

  // Scroll position in and out of the URL (state/url-state.ts): restore once the items are there (after the
  // cursor's scroll above, which it overrides), otherwise report the first row in view.
  const restoreTop = useStore((s) => s.restoreTop);
  useEffect(() => {
    if (restoreTop === null || itemCount === 0) return;
    scrollToRow(Math.floor(restoreTop / columns), 'start');
    const settle = setTimeout(() => useStore.setState({ restoreTop: null }), 500);
    return () => clearTimeout(settle);
  }, [restoreTop, itemCount, columns, virtualizer]);
  useEffect(() => {
    const el = scrollRef.current;
    if (el && restoreTop === null) useStore.setState({ topIndex: Math.floor((el.scrollTop * scaleRef.current) / rowHeight) * columns });
  }, [first, rowHeight, columns, restoreTop]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (openItem !== null || (e.target as HTMLElement).closest('input, textarea, select')) return;
      const s = useStore.getState();
      const pageRows = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / rowHeight));
      const moves: Record<string, number> = {
        ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns,
        PageDown: columns * pageRows, PageUp: -columns * pageRows, Home: -Infinity, End: Infinity,
      };
      if (e.key in moves) {
        e.preventDefault();
        const delta = moves[e.key];
        s.setCursor(delta === -Infinity ? 0 : delta === Infinity ? s.itemCount - 1 : s.cursor + delta);
        // The cursor may not change (Home on the first item) while the view has scrolled away from it.
        scrollToRow(Math.floor(useStore.getState().cursor / columns), 'auto');
      } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        usePicked.getState().selectAll();
      } else if (e.key === 'Escape' && usePicked.getState().ranges.length > 0) {
        usePicked.getState().clear();
      } else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        s.openAt(s.cursor);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [columns, rowHeight, openItem, virtualizer]);

  if (itemCount === 0 && useStore.getState().results) {
    return (
      <div className="empty" data-testid="grid-empty">
        <h2>No results</h2>
        <p className="muted">Nothing matched: search needs embedded images (Embed in the Models view or `winnow embed`).</p>
      </div>
    );
  }
  if (itemCount === 0) {
    return (
      <div className="empty" data-testid="grid-empty">
        <h2>No items yet</h2>
        <p className="muted">Import an image folder or a JSONL/CSV manifest from the sidebar. Import runs as a job; items appear as they are read.</p>
      </div>
    );
  }

  return (
    <div className="grid-scroll" ref={scrollRef} data-testid="grid" data-scroll-scale={scale} tabIndex={0} aria-label={`${itemCount} items`}>
      <div ref={contentRef} style={{ height: scale === 1 ? virtualizer.getTotalSize() : MAX_SCROLL_PX, position: 'relative' }} onMouseDown={drag.onMouseDown} onClickCapture={drag.onClickCapture}>
        {virtualRows.map((row) => (
          <div key={row.key} className="grid-row" style={{ transform: `translateY(${row.start - shift}px)`, height: rowHeight }}>
            {Array.from({ length: columns }, (_, c) => {
              const index = row.index * columns + c;
              if (index >= itemCount) return null;
              return <Tile key={index} index={index} item={itemAt({ pages }, index)} size={tile} selected={index === cursor} picked={picked.length > 0 && isPicked(picked, index)} />;
            })}
          </div>
        ))}
        {drag.rect && <div className="rect-select" data-testid="rect-select" style={{ left: drag.rect.x, top: drag.rect.y, width: drag.rect.w, height: drag.rect.h }} />}
      </div>
    </div>
  );
}
