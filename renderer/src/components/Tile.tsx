import { memo, useState } from 'react';
import type { ItemT } from '../../../main/api/contract';
import { api } from '../api/client';
import { useStore } from '../state/store';

interface Props { index: number; item: ItemT | undefined; size: number; selected: boolean }

export const Tile = memo(function Tile({ index, item, size, selected }: Props) {
  const [broken, setBroken] = useState(false);
  const score = useStore((s) => s.results?.scores?.[index]);
  const box = size - 8;
  return (
    <div
      className={`tile ${selected ? 'selected' : ''}`}
      style={{ width: box }}
      data-testid="tile"
      data-index={index}
      onClick={() => useStore.getState().setCursor(index)}
      onDoubleClick={() => useStore.getState().openAt(index)}
    >
      <div className="thumb" style={{ height: box }}>
        {item && !broken && <img src={api.mediaUrl('thumb', item.id)} loading="lazy" decoding="async" alt={item.caption ?? item.key} onError={() => setBroken(true)} />}
        {item && broken && <div className="broken">cannot decode</div>}
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
