import { useEffect, useRef, useState } from 'react';
import { api } from '../../api/client';
import { useStore } from '../../state/store';
import { css } from './rle';
import { colorOfClass } from './class-color';
import { ClassLists } from './ClassLists';
import { Overlay } from './Overlay';
import { RunDetection } from './RunDetection';
import { ShortcutSheet } from './ShortcutSheet';
import { classSlot, useReview } from './state';
import { UsefulOrder } from '../adapt/UsefulOrder';
import './review.css';

type Box = [number, number, number, number];
type KeyLike = Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>;

const PLAIN_KEYS = new Set(['j', 'k', 'ArrowRight', 'ArrowLeft', 'Home', 'End', 'g', 'Tab', 'a', 'r', 'x', 'n', 'b', 'e', 'm', 's', '[', ']', 'Delete', 'Backspace', '?', 'Escape']);

/** Keys the review view acts on (the rest are left to the browser). */
function handles(e: KeyLike): boolean {
  if (e.ctrlKey || e.metaKey) return /^[zZyY]$/.test(e.key);
  if (e.key.startsWith('Arrow') && (e.altKey || e.shiftKey)) return true;
  if (e.altKey) return false;
  return PLAIN_KEYS.has(e.key) || /^[1-9]$/.test(e.key);
}

/** Keyboard-first review of detections, masks and zero-shot labels, most uncertain first. */
export function ReviewView() {
  const s = useReview();
  const [sheet, setSheet] = useState(false);
  const [above, setAbove] = useState('0.9');
  const [masks, setMasks] = useState(true);
  const jumpRef = useRef<HTMLInputElement>(null);
  const [jump, setJump] = useState('');
  const [jumpMiss, setJumpMiss] = useState(false);
  const [floor, setFloor] = useState('');
  useEffect(() => { if (s.minScore !== null && floor === '') setFloor(String(s.minScore)); }, [s.minScore, floor]);

  useEffect(() => {
    void useReview.getState().load();
    // Reload the queue when a job (detection, labeling) writes annotations; this view's own edits update it in place.
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = api.on('annotations.changed', ({ jobId }) => {
      if (jobId !== null) timer ??= setTimeout(() => { timer = null; void useReview.getState().load(); }, 1000);
    });
    return () => { off(); if (timer) clearTimeout(timer); };
  }, []);

  // Keys (and jumps) are applied one after another, each on the state the previous one left (a burst of 30 "a" or "j"
  // presses does 30 things, in order, however slow the engine answers).
  const pending = useRef<Promise<void>>(Promise.resolve());
  const inTurn = (step: () => Promise<void>) => {
    pending.current = pending.current.then(step).catch((err: unknown) => useStore.getState().report(err));
  };

  useEffect(() => {
    // preventDefault must happen at once; the key's work waits its turn.
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT') && e.key !== 'Escape') return;
      if (!handles(e)) return;
      e.preventDefault();
      // The jump field takes the keys typed next at once, not after the keys before it have run.
      if (e.key === 'g') { jumpRef.current?.focus(); return; }
      const key = { key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, shiftKey: e.shiftKey };
      inTurn(() => apply(key));
    };
    const apply = async (e: KeyLike): Promise<void> => {
      const r = useReview.getState();
      const ann = r.item?.annotations.find((a) => a.id === r.selected) ?? null;
      const box = ann?.bbox as Box | null | undefined;
      const key = e.key;
      const ctrl = e.ctrlKey || e.metaKey;
      const arrow = key.startsWith('Arrow');
      if (ctrl && (key === 'z' || key === 'Z')) { await r.undo(e.shiftKey); return; }
      if (ctrl && (key === 'y' || key === 'Y')) { await r.undo(true); return; }
      if (ctrl) return;
      if (arrow && (e.altKey || e.shiftKey)) {
        if (!box) return;
        const w = r.item?.width ?? 1e9;
        const h = r.item?.height ?? 1e9;
        const step = e.altKey && e.shiftKey ? 10 : 1;
        let [x, y, bw, bh] = box;
        if (e.altKey) {
          if (key === 'ArrowLeft') x -= step; if (key === 'ArrowRight') x += step;
          if (key === 'ArrowUp') y -= step; if (key === 'ArrowDown') y += step;
          x = Math.max(0, Math.min(w - bw, x)); y = Math.max(0, Math.min(h - bh, y));
        } else {
          if (key === 'ArrowRight') bw += 1; if (key === 'ArrowLeft') bw = Math.max(1, bw - 1);
          if (key === 'ArrowDown') bh += 1; if (key === 'ArrowUp') bh = Math.max(1, bh - 1);
          bw = Math.min(w - x, bw); bh = Math.min(h - y, bh);
        }
        await r.setBox(ann!.id, [x, y, bw, bh], true);
        return;
      }
      if (e.altKey) return;
      if (key === 'j' || key === 'ArrowRight') await r.go(r.index + 1);
      else if (key === 'k' || key === 'ArrowLeft') await r.go(r.index - 1);
      else if (key === 'Home') await r.go(0);
      else if (key === 'End') await r.go(r.queue.length - 1);
      else if (key === 'Tab') r.select(e.shiftKey ? -1 : 1);
      else if (key === 'a') await r.decide('accepted');
      else if (key === 'r' || key === 'x') await r.decide('rejected');
      else if (/^[1-9]$/.test(key)) {
        // Numbered within the selected annotation's own list (label classes or detection queries), in run order.
        const label = ann ? classSlot(r.classes, ann).list[Number(key) - 1] : undefined;
        if (label) await r.relabel(label);
      }
      else if (key === 'n') r.set({ drawing: !r.drawing, brush: null });
      else if (key === 'b') r.set({ brush: r.brush === 'add' ? null : 'add', drawing: false });
      else if (key === 'e') r.set({ brush: r.brush === 'erase' ? null : 'erase', drawing: false });
      else if (key === 'm') setMasks((v) => !v);
      else if (key === 's') await r.refine();
      else if (key === '[' || key === ']') r.set({ brushSize: Math.max(2, Math.min(80, Math.round(r.brushSize * (key === ']' ? 1.4 : 1 / 1.4)))) });
      else if (key === 'Delete' || key === 'Backspace') await r.remove();
      else if (key === '?') setSheet((v) => !v);
      else if (key === 'Escape') { setSheet(false); r.set({ drawing: false, brush: null }); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const anns = s.item?.annotations ?? [];
  const selectedAnn = anns.find((a) => a.id === s.selected);
  const pct = s.progress.total ? Math.round((100 * s.progress.reviewed) / s.progress.total) : 0;
  return (
    <div className="review" data-testid="review-view">
      <header className="review-head">
        <h2>Review</h2>
        <div className="review-progress" data-testid="review-progress" title="annotations reviewed / total">
          <div className="bar"><div style={{ width: `${pct}%` }} /></div>
          <span>{s.progress.reviewed} / {s.progress.total} reviewed</span>
        </div>
        <span className="muted" data-testid="review-position">item {s.queue.length ? s.index + 1 : 0} of {s.queue.length}</span>
        <form className="review-jump" onSubmit={(e) => {
          e.preventDefault();
          // A miss keeps the text and the focus, to be corrected. A hit clears and leaves the field at once, before the
          // item loads: keys typed next (a second `g`, `j`) reach the view, and the jump takes its turn before them.
          const at = s.jumpIndex(jump);
          setJumpMiss(at === null);
          if (at === null) return;
          setJump('');
          jumpRef.current?.blur();
          inTurn(() => useReview.getState().go(at));
        }}>
          <input ref={jumpRef} name="review-jump" value={jump} onChange={(e) => { setJump(e.target.value); setJumpMiss(false); }} placeholder="Go to № or #id" title="Type a position in the queue (12) or an item id (#34), then Enter · g" className={jumpMiss ? 'miss' : ''} aria-invalid={jumpMiss} />
        </form>
        <form className="review-floor" onSubmit={(e) => {
          e.preventDefault();
          const v = Number(floor);
          if (Number.isFinite(v) && v >= 0 && v <= 1) { s.set({ minScore: v, index: 0 }); void s.load(); }
        }} title="Proposals scoring below this stay out of the queue">
          <label>Hide below <input name="review-floor" type="number" min={0} max={1} step={0.01} value={floor} onChange={(e) => setFloor(e.target.value)} /></label>
          {s.belowFloor > 0 && <span className="muted small" data-testid="below-floor">{s.belowFloor.toLocaleString()} hidden</span>}
        </form>
        <select
          name="review-kinds"
          value={s.kinds ? s.kinds.join(',') : ''}
          onChange={(e) => { s.set({ kinds: e.target.value ? (e.target.value.split(',') as ('box' | 'mask' | 'label')[]) : null, index: 0 }); void s.load(); }}
          title="What the queue holds"
        >
          <option value="">Boxes, masks and labels</option>
          <option value="box,mask">Boxes and masks</option>
          <option value="label">Image labels</option>
        </select>
        <UsefulOrder value={s.order} onChange={(order) => { s.set({ order, index: 0 }); void s.load(); }} />
        <form className="review-above" onSubmit={async (e) => { e.preventDefault(); const t = Number(above); if (Number.isFinite(t)) await s.acceptAbove(t); }}>
          <label>Accept all above <input name="accept-above" type="number" min={0} max={1} step={0.05} value={above} onChange={(e) => setAbove(e.target.value)} /></label>
          <button type="submit" className="secondary">Accept</button>
        </form>
        <button className="secondary" disabled={!s.canUndo} onClick={() => void s.undo()} title="Ctrl+Z">Undo</button>
        <button className="secondary" disabled={!s.canRedo} onClick={() => void s.undo(true)} title="Ctrl+Shift+Z">Redo</button>
        <button className="icon" onClick={() => setSheet(true)} title="Keyboard shortcuts (?)">?</button>
      </header>
      <div className="review-body">
        <section className={`review-main ${masks ? '' : 'no-masks'}`}>
          {s.item && anns.some((a) => a.kind === 'label') && (
            <div className="review-chips" data-testid="review-labels">
              {anns.filter((a) => a.kind === 'label').map((a) => (
                <button key={a.id} className={`chip ${a.state} ${a.id === s.selected ? 'selected' : ''}`} onClick={() => s.set({ selected: a.id })}>
                  {a.label}{a.score !== null ? ` ${a.score.toFixed(2)}` : ''}
                </button>
              ))}
            </div>
          )}
          {s.item ? <Overlay /> : <div className="muted review-empty">Nothing to review yet: run a detection (right) or a zero-shot labeling job.</div>}
          {s.drawing && <div className="review-hint">Drag on the image to draw a box · Esc to cancel</div>}
          {s.brush && <div className="review-hint">Mask brush ({s.brushSize} px): {s.brush === 'add' ? 'paint' : 'erase'} the selected mask by dragging · [ ] size · b / e to switch · Esc to stop</div>}
          {s.refining !== null && <div className="review-hint" data-testid="refining">Refining with Segment Anything…</div>}
        </section>
        <aside className="review-side">
          <h3>Annotations</h3>
          <ul className="review-anns" data-testid="review-anns">
            {anns.map((a) => (
              <li key={a.id} className={`${a.state} ${a.id === s.selected ? 'selected' : ''}`} onClick={() => s.set({ selected: a.id })} data-testid={`ann-${a.id}`} data-state={a.state}>
                <span className="swatch" style={{ background: css(colorOfClass(a.label, classSlot(s.classes, a).index)) }} />
                <span className="kind">{a.kind}</span>
                <span className="label">{a.label}</span>
                <span className="score">{a.score !== null ? a.score.toFixed(2) : '—'}</span>
                <span className={`state ${a.state}`}>{a.state}</span>
              </li>
            ))}
            {s.item && anns.length === 0 && <li className="muted">No annotations on this item.</li>}
          </ul>
          <button className="secondary review-refine" data-testid="refine-sam" disabled={!selectedAnn || selectedAnn.kind === 'label' || s.refining !== null}
            onClick={() => void s.refine()} title="Turn the selected box into a mask with Segment Anything (download SlimSAM under Models)">
            Refine into mask (SAM) <kbd>s</kbd>
          </button>
          <ClassLists />
          <label className="review-opacity">Mask opacity <input type="range" min={0} max={1} step={0.05} value={s.opacity} onChange={(e) => s.set({ opacity: Number(e.target.value) })} /></label>
          <RunDetection />
        </aside>
      </div>
      {sheet && <ShortcutSheet onClose={() => setSheet(false)} />}
    </div>
  );
}
