// Removal reasons and decisions by hand in plain words, the same on a tile's tooltip and in the item panel.
import type { ItemMarksT, ManualDecisionT, RemovalReasonT } from '../../../main/api/methods/decisions';

const num = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 10 ? 3 : 1));

/** "Caption has more than 2 words: caption.words = 1, keeps > 2" or "Not an exact duplicate: exact duplicate of #12". */
export function formatReason(r: RemovalReasonT): string {
  if (r.detail) return `${r.label}: ${r.detail}`;
  const value = r.value === null ? 'no value' : num(r.value);
  return `${r.label}: ${r.signal ?? r.kind} = ${value}, keeps ${r.op ?? ''} ${r.threshold === null ? '?' : num(r.threshold)}`;
}

export function formatManual(m: ManualDecisionT): string {
  return `${m.decision === 'keep' ? 'Kept' : 'Excluded'} by hand by ${m.by} (${m.via}) on ${new Date(m.at).toLocaleString()}`;
}

/** A tile's tooltip: every reason, and the decision by hand that overrides them. */
export function marksTooltip(m: ItemMarksT): string {
  return [...(m.manual ? [formatManual(m.manual)] : []), ...m.reasons.map(formatReason)].join('\n');
}
