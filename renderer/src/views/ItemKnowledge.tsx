// The item panel's "everything Winnow knows": decision by hand (with who and when) and its buttons,
// removal reasons, tags, label proposals with score and model, every signal with its model, duplicate
// groups with members, sources and likeness, other annotations, and provenance.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ItemKnowledgeT } from '../../../main/api/methods/decisions';
import { api } from '../api/client';
import { queryClient } from '../api/queries';
import { formatManual, formatReason } from '../components/reasons';
import { tagsKey } from '../components/DecideBar';
import { reasonRules, reloadMarks } from '../state/marks';
import { useStore } from '../state/store';

const DUP_WORDS = { exact: 'Exact copies', phash: 'Perceptual duplicates', semantic: 'Semantic near-duplicates' } as const;
const num = (v: number | null): string => (v === null ? '—' : Number.isInteger(v) ? String(v) : v.toFixed(4));

export function useKnowledge(id: number) {
  const rules = reasonRules();
  return useQuery({ queryKey: ['items', 'knowledge', id, rules ?? null], queryFn: () => api.call('items.knowledge', { id, ...(rules ? { rules } : {}) }) });
}

async function changed(): Promise<void> {
  await queryClient.invalidateQueries({ queryKey: ['items', 'knowledge'] });
  void queryClient.invalidateQueries({ queryKey: tagsKey });
  reloadMarks();
  const s = useStore.getState();
  if (s.gridSelection || s.tagFilter) void s.refreshCounts();
}

export function ItemKnowledge({ id }: { id: number }) {
  const q = useKnowledge(id);
  const k = q.data;
  if (!k) return <p className="muted small">{q.error ? String(q.error) : 'Loading what Winnow knows…'}</p>;
  return (
    <div className="knowledge" data-testid="item-knowledge">
      <Decision k={k} />
      <Tags k={k} />
      <Labels k={k} />
      <Duplicates k={k} />
      <Signals k={k} />
      {k.annotations.length > 0 && (
        <>
          <h3>Annotations</h3>
          <table className="meta" data-testid="item-annotations"><tbody>
            {k.annotations.map((a) => <tr key={a.id}><th>{a.kind} · {a.label}</th><td>{a.state} · {a.origin}{a.score !== null ? ` · ${a.score.toFixed(3)}` : ''}</td></tr>)}
          </tbody></table>
        </>
      )}
      <Provenance k={k} />
    </div>
  );
}

function Decision({ k }: { k: ItemKnowledgeT }) {
  const m = k.marks;
  const set = async (decision: 'keep' | 'exclude' | null) => {
    try {
      await api.call('decide.set', { ids: [k.id], decision, via: 'app' });
      await changed();
    } catch (err) {
      useStore.getState().report(err);
    }
  };
  return (
    <>
      <h3>Decision</h3>
      <p data-testid="item-status" className={m.removed ? 'bad' : 'ok'}>
        {m.manual ? `${m.removed ? 'Excluded' : 'Kept'} by hand` : m.removed ? 'Removed by the rules below' : 'Kept (no rule removes it)'}
      </p>
      {m.manual && <p className="muted small" data-testid="item-manual">{formatManual(m.manual)}</p>}
      {m.reasons.length > 0 && (
        <ul className="reasons" data-testid="item-reasons">
          {m.reasons.map((r) => <li key={r.ruleId}>{formatReason(r)}{m.manual?.decision === 'keep' ? ' (overridden)' : ''}</li>)}
        </ul>
      )}
      <div className="decide-row">
        <button onClick={() => void set('keep')} disabled={m.manual?.decision === 'keep'} data-testid="item-keep">Keep by hand</button>
        <button onClick={() => void set('exclude')} disabled={m.manual?.decision === 'exclude'} data-testid="item-exclude">Exclude by hand</button>
        {m.manual && <button className="secondary" onClick={() => void set(null)} data-testid="item-clear-decision">Back to the rules</button>}
      </div>
    </>
  );
}

function Tags({ k }: { k: ItemKnowledgeT }) {
  const [tag, setTag] = useState('');
  const call = async (method: 'tags.add' | 'tags.remove', name: string) => {
    try {
      await api.call(method, { ids: [k.id], tag: name });
      setTag('');
      await changed();
    } catch (err) {
      useStore.getState().report(err);
    }
  };
  return (
    <>
      <h3>Tags</h3>
      <div className="chips" data-testid="item-tags">
        {k.tagDetails.map((t) => (
          <span key={t.tag} className="chip" title={`by ${t.by} on ${new Date(t.at).toLocaleString()}`}>
            #{t.tag}<button aria-label={`Remove tag ${t.tag}`} onClick={() => void call('tags.remove', t.tag)}>✕</button>
          </span>
        ))}
        <input value={tag} onChange={(e) => setTag(e.target.value)} placeholder="add a tag ↵" data-testid="item-tag-input" aria-label="Add a tag" style={{ width: 140 }}
          onKeyDown={(e) => { if (e.key === 'Enter' && tag.trim()) void call('tags.add', tag.trim()); e.stopPropagation(); }} />
      </div>
    </>
  );
}

function Labels({ k }: { k: ItemKnowledgeT }) {
  if (k.labels.length === 0) return null;
  return (
    <>
      <h3>Labels</h3>
      <table className="meta" data-testid="item-labels"><tbody>
        {k.labels.map((l) => (
          <tr key={l.id}><th>{l.assigned ? <b>{l.label}</b> : l.label}</th><td className="num">{l.score === null ? '—' : l.score.toFixed(3)}</td><td>{l.state}</td><td className="muted small">{l.model}{l.run ? ` · ${l.run}` : ''}</td></tr>
        ))}
      </tbody></table>
    </>
  );
}

function Duplicates({ k }: { k: ItemKnowledgeT }) {
  if (k.duplicates.length === 0 && k.notDuplicateOf.length === 0) return null;
  return (
    <>
      <h3>Duplicates</h3>
      {k.duplicates.map((g) => (
        <div key={g.kind} data-testid="item-dup-group">
          <p className="small"><b>{DUP_WORDS[g.kind]}</b> · {g.members.length} items · keeper #{g.keeper}</p>
          <table className="meta"><tbody>
            {g.members.map((m) => (
              <tr key={m.id}>
                <th>{m.id === k.id ? <b>this item</b> : `#${m.id}`}{m.keeper ? ' (keeper)' : ''}</th>
                <td className="mono wrap">{m.key}</td>
                <td className="muted small">{m.sourceName}</td>
                <td className="num">{m.keeper ? '' : g.kind === 'phash' ? `Δ ${num(m.distance)} bits` : g.kind === 'semantic' ? `cos ${num(m.distance)}` : 'identical'}</td>
              </tr>
            ))}
          </tbody></table>
        </div>
      ))}
      {k.notDuplicateOf.length > 0 && (
        <p className="muted small" data-testid="item-not-dup">Marked not a duplicate of {k.notDuplicateOf.map((n) => `#${n.other} (${n.kind}, by ${n.by})`).join(', ')}</p>
      )}
    </>
  );
}

function Signals({ k }: { k: ItemKnowledgeT }) {
  if (k.signals.length === 0) return null;
  const pair = k.signals.find((s) => s.name === 'clip.pair');
  return (
    <>
      <h3>Signals</h3>
      {pair && <p data-testid="item-pair">Image-caption pair score <b>{pair.value.toFixed(4)}</b> <span className="muted small">({pair.model})</span></p>}
      <table className="meta" data-testid="item-signals"><tbody>
        {k.signals.map((s) => <tr key={s.name}><th className="mono">{s.name}</th><td className="num">{num(s.value)}</td><td className="muted small">{s.model ?? ''}</td></tr>)}
      </tbody></table>
    </>
  );
}

function Provenance({ k }: { k: ItemKnowledgeT }) {
  const p = k.provenance;
  return (
    <>
      <h3>Provenance</h3>
      <table className="meta" data-testid="item-provenance"><tbody>
        {p.source && <tr><th>Source</th><td className="wrap">{p.source.name} ({p.source.kind}) <span className="mono">{p.source.path}</span></td></tr>}
        {p.importJob !== null && <tr><th>Import</th><td>job #{p.importJob}{p.addedAt ? `, ${new Date(p.addedAt).toLocaleString()}` : ''}</td></tr>}
        {p.detail && Object.entries(p.detail).map(([key, v]) => <tr key={key}><th>{key}</th><td className="wrap mono">{typeof v === 'string' ? v : JSON.stringify(v)}</td></tr>)}
      </tbody></table>
    </>
  );
}
