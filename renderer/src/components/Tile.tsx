import { memo, useState, type MouseEvent } from 'react';
import type { ItemT } from '../../../main/api/contract';
import { api } from '../api/client';
import { useStore } from '../state/store';
import { useMarks } from '../state/marks';
import { usePicked } from '../state/picked';
import { marksTooltip } from './reasons';

interface Props { index: number; item: ItemT | undefined; size: number; selected: boolean; picked?: boolean }

/** A click picks like a file manager: plain = cursor only, Shift = range from the anchor, Ctrl/Cmd = toggle. */
function onTileClick(index: number, e: MouseEvent) {
  usePicked.getState().click(index, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
}

export const Tile = memo(function Tile({ index, item, size, selected, picked = false }: Props) {
  const [broken, setBroken] = useState(false);
  const score = useStore((s) => s.results?.scores?.[index]);
  const marks = useMarks((m) => (item ? m.byId.get(item.id) : undefined));
  const box = size - 8;
  const removedBy = marks && !marks.manual && marks.reasons.length > 0 ? marks.reasons : null;
  return (
    <div
      className={`tile ${selected ? 'selected' : ''} ${picked ? 'picked' : ''}`}
      style={{ width: box }}
      data-testid="tile"
      data-index={index}
      data-picked={picked || undefined}
      onClick={(e) => onTileClick(index, e)}
      onDoubleClick={() => useStore.getState().openAt(index)}
    >
      <div className="thumb" style={{ height: box }}>
        {item && !broken && <img src={api.mediaUrl('thumb', item.id)} loading="lazy" decoding="async" alt={item.caption ?? item.key} onError={() => setBroken(true)} draggable={false} />}
        {item && broken && <div className="broken">cannot decode</div>}
        {picked && <span className="pick-check" aria-hidden>✓</span>}
        {marks && (marks.manual || removedBy || marks.tags.length > 0) && (
          <div className="marks" title={marksTooltip(marks)} data-testid="tile-marks">
            {marks.manual && <span className={`badge manual ${marks.manual.decision}`} data-testid="tile-manual">{marks.manual.decision === 'keep' ? 'kept by hand' : 'excluded by hand'}</span>}
            {removedBy && <span className="badge removed" data-testid="tile-reason">✕ {removedBy[0].label}{removedBy.length > 1 ? ` +${removedBy.length - 1}` : ''}</span>}
            {marks.tags.map((t) => <span key={t} className="badge tag" data-testid="tile-tag">#{t}</span>)}
          </div>
        )}
        {item && (
          <div className="badges">
            {score !== undefined && <span className="badge score" data-testid="tile-score" title="similarity (cosine)">{score.toFixed(3)}</span>}
            {item.format && <span className="badge">{item.format}</span>}
            {item.width && <span className="badge">{item.width}×{item.height}</span>}
            {item.issueCount > 0 && <span className="badge warn" title="has issues">!</span>}
            {!item.caption && <span className="badge warn">no caption</span>}
          </div>
        )}
      </div>
      <div className="caption" title={item?.caption ?? ''}>
        {item ? item.caption || <span className="muted">{item.key}</span> : <span className="skeleton" />}
      </div>
    </div>
  );
});
