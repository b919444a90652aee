import { useEffect, useState } from 'react';
import type { MethodResult } from '../../../main/api/contract';
import { api } from '../api/client';
import { useItemDetail } from '../api/queries';
import { useStore } from '../state/store';
import { formatBytes } from '../../../main/api/format';
import { moreLikeThis } from '../state/similarity';
import { ItemKnowledge } from './ItemKnowledge';

type Detail = MethodResult<'items.get'>;

const size = (n: number | null): string => (n === null ? '—' : formatBytes(n));

/** The open item: full image, caption, metadata and its issues; ←/→ step through the grid, Esc closes. */
export function ItemPanel({ id }: { id: number }) {
  const detail = useItemDetail(id);
  const item: Detail | null = detail.data ?? null;
  const [broken, setBroken] = useState(false);
  const sources = useStore((s) => s.sources);

  useEffect(() => setBroken(false), [id]);
  useEffect(() => { if (detail.error) useStore.getState().report(detail.error); }, [detail.error]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).closest('input, textarea, select')) return;
      const s = useStore.getState();
      if (e.key === 'Escape') s.openAt(null);
      else if (e.key === 'ArrowRight' || e.key === 'ArrowDown' || e.key === 'j') void s.openAt(s.cursor + 1);
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp' || e.key === 'k') void s.openAt(s.cursor - 1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const source = item && sources.find((s) => s.id === item.sourceId);
  return (
    <section className="item-panel" data-testid="item-panel" aria-label="Item details">
      <header>
        <span className="muted small">{item?.key ?? '…'}</span>
        <button className="more-like" data-testid="more-like-this" title="Show the images most similar to this one" onClick={() => void moreLikeThis(id, item?.key)}>More like this</button>
        <button className="icon" aria-label="Close" onClick={() => useStore.getState().openAt(null)}>✕</button>
      </header>
      <div className="viewer">
        {!broken ? <img src={api.mediaUrl('image', id)} alt={item?.caption ?? ''} onError={() => setBroken(true)} /> : <div className="broken">This image cannot be decoded.</div>}
      </div>
      {item && (
        <div className="details">
          <h3>Caption</h3>
          <p className="caption-full" data-testid="item-caption">{item.caption || <span className="muted">(no caption)</span>}</p>
          {item.captionOrigin && <p className="muted small">from {item.captionOrigin}</p>}
          <h3>Metadata</h3>
          <table className="meta">
            <tbody>
              <tr><th>Source</th><td>{source?.name ?? item.sourceId}</td></tr>
              <tr><th>File</th><td className="mono wrap">{item.uri}</td></tr>
              <tr><th>Format</th><td>{item.format ?? '—'}</td></tr>
              <tr><th>Size</th><td>{item.width ? `${item.width} × ${item.height} px` : '—'}</td></tr>
              <tr><th>Bytes</th><td>{size(item.bytes)}</td></tr>
              <tr><th>SHA-256</th><td className="mono wrap">{item.sha256 ?? '—'}</td></tr>
              {item.extra && Object.entries(item.extra).map(([k, v]) => (
                <tr key={k}><th>{k}</th><td className="wrap">{typeof v === 'string' ? v : JSON.stringify(v)}</td></tr>
              ))}
            </tbody>
          </table>
          {item.issues.length > 0 && (
            <>
              <h3>Issues</h3>
              <ul className="issue-list compact">
                {item.issues.map((i) => <li key={i.id} className={i.severity}><b>{i.kind}</b> {i.message}</li>)}
              </ul>
            </>
          )}
          <ItemKnowledge id={id} />
          <p className="muted small keys">← → previous / next · Esc close</p>
        </div>
      )}
    </section>
  );
}
