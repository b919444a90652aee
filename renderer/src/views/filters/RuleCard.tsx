import { useState } from 'react';
import type { EvaluationT, RuleT } from '../../../../main/api/methods/curation';
import { isThresholdRule, useCuration } from '../../state/curation';
import { HistogramSlider } from './HistogramSlider';
import { useStore } from '../../state/store';
import { edgeOf, formatValue, prefix, removedAt } from './threshold';

type Counts = EvaluationT['rules'][number];

const OP_TEXT: Record<NonNullable<RuleT['op']>, string> = { '>': '>', '>=': '≥', '<': '<', '<=': '≤' };
const EXISTENCE: Partial<Record<RuleT['kind'], string>> = {
  exact_dup: 'Removes every copy of a file but its group keeper (same SHA-256).',
  near_dup: 'Removes look-alikes (pHash within 6 bits) but the group keeper.',
  semantic_dup: 'Removes items whose image embedding is near-identical to the group keeper’s.',
  unreadable: 'Removes items whose image could not be decoded.',
};

interface Props {
  rule: RuleT;
  counts: Counts | undefined;
  total: number;
  /** Called while dragging with the overall kept count at the handle (null when unknown). */
  onLive(kept: number | null): void;
}

/** One rule: enable toggle, what it keeps, its histogram and handle, and what it removes alone / in sequence. */
export function RuleCard({ rule, counts, total, onLive }: Props) {
  const hist = useCuration((s) => s.histograms[rule.id]);
  // Model-made signals (pair, label, concept scores) name the model whose numbers the histogram shows.
  const model = useCuration((s) => s.signals.find((x) => x.name === rule.signal)?.model ?? null);
  const { setRule, commit, removeRule } = useCuration.getState();
  const numeric = isThresholdRule(rule);
  const threshold = rule.threshold ?? 0;

  // While the handle moves, counts come from the histogram (exact at bin edges); otherwise from the engine.
  let alone = counts?.removedAlone ?? null;
  if (hist && numeric && rule.keepTop === undefined && hist.count > 0) {
    const k = edgeOf(hist, rule.op!, threshold);
    alone = removedAt(prefix(hist.fine), rule.op!, k);
  }
  const pct = (n: number | null) => (n === null || total === 0 ? '' : ` (${((100 * n) / total).toFixed(1)}%)`);

  return (
    <article className={`rule-card ${rule.enabled ? '' : 'off'}`} data-testid={`rule-${rule.id}`}>
      <header>
        <label className="switch" title={rule.enabled ? 'Disable rule' : 'Enable rule'}>
          <input
            type="checkbox"
            checked={rule.enabled}
            aria-label={`enable ${rule.label ?? rule.id}`}
            onChange={(e) => {
              setRule(rule.id, { enabled: e.target.checked });
              void commit();
            }}
          />
          <span />
        </label>
        <div className="rule-title">
          <div className="rule-label">{rule.label ?? rule.id}</div>
          {model && <div className="muted small" data-testid={`rule-model-${rule.id}`}>scores from model {model}</div>}
          <div className="mono muted">
            {numeric ? `${rule.signal} ${OP_TEXT[rule.op!]} ` : rule.signal ?? 'decode issues'}
            {numeric && <ThresholdInput id={rule.id} value={threshold} onSet={(t) => { setRule(rule.id, { threshold: t, keepTop: undefined }); void commit(); }} />}
          </div>
        </div>
        {rule.kind === 'signal' && (
          <button className="icon" title="Remove this rule" onClick={() => removeRule(rule.id)}>✕</button>
        )}
      </header>
      {numeric && hist && (
        <HistogramSlider
          hist={hist}
          op={rule.op!}
          threshold={threshold}
          disabled={!rule.enabled}
          testId={`hist-${rule.id}`}
          onChange={(t) => {
            setRule(rule.id, { threshold: t, keepTop: undefined });
            const h = useCuration.getState().histograms[rule.id];
            if (h?.fineKept && h.keptByOthers !== null) {
              const k = edgeOf(h, rule.op!, t);
              onLive(h.keptByOthers - (rule.enabled ? removedAt(prefix(h.fineKept), rule.op!, k) : 0));
            }
          }}
          onCommit={() => void commit().then(() => onLive(null))}
        />
      )}
      {!numeric && <p className="muted small rule-note">{EXISTENCE[rule.kind] ?? `Removes items marked by ${rule.signal ?? 'this rule'}.`}</p>}
      <footer className="rule-counts">
        <button className="link rule-gallery" title="Show the items this rule removes on its own (the rule's gallery)" data-testid={`gallery-${rule.id}`}
          disabled={!alone} onClick={() => openRuleGallery(rule.id, false)}>
          removes alone <b data-testid={`alone-${rule.id}`}>{alone === null ? '—' : alone.toLocaleString()}</b>
          <span className="muted">{pct(alone)}</span>
        </button>
        {rule.enabled && !!alone && (
          <button className="link small" title="Items only this rule removes (no other enabled rule does)" data-testid={`gallery-only-${rule.id}`} onClick={() => openRuleGallery(rule.id, true)}>
            only this rule
          </button>
        )}
        <span title="Items this rule removes that no rule above it already removed">
          in sequence <b>{rule.enabled ? (counts?.removedCumulative ?? 0).toLocaleString() : 'off'}</b>
        </span>
        {counts?.withSignal !== null && counts !== undefined && counts.withSignal < total && (
          <span className="muted" title="Items without this signal are not judged by the rule">{(total - counts.withSignal).toLocaleString()} not measured</span>
        )}
      </footer>
    </article>
  );
}

/** A number field that lets you type freely and applies on Enter or when it loses focus. */
function ThresholdInput({ id, value, onSet }: { id: string; value: number; onSet(v: number): void }) {
  const [text, setText] = useState<string | null>(null);
  const shown = formatValue(value).replace(/,/g, '');
  const apply = () => {
    const v = Number(text);
    if (text !== null && text.trim() !== '' && Number.isFinite(v) && v !== value) onSet(v);
    setText(null);
  };
  return (
    <input
      className="threshold-input"
      inputMode="decimal"
      aria-label={`${id} threshold`}
      value={text ?? shown}
      onFocus={() => setText(shown)}
      onChange={(e) => setText(e.target.value)}
      onBlur={apply}
      onKeyDown={(e) => e.key === 'Enter' && (e.target as HTMLInputElement).blur()}
    />
  );
}

/** The rule's gallery: the grid filtered to the items this rule removes (`only`: that no other enabled rule removes). */
function openRuleGallery(ruleId: string, only: boolean) {
  const rules = useCuration.getState().rules;
  useStore.getState().setGridSelection({ rules, show: 'removed', rule: ruleId, ...(only ? { only } : {}) });
}
