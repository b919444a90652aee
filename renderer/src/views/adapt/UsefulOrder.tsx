// The review queue's order: most uncertain proposals first (the default), or the items that most
// improve the adapted classifier (adapt.queue: uncertainty, margin, or a diversity-aware pick).
import type { AdaptStrategyT } from '../../../../main/domain/adapt';

export type QueueOrder = AdaptStrategyT | null;

export function UsefulOrder({ value, onChange }: { value: QueueOrder; onChange: (v: QueueOrder) => void }) {
  return (
    <select name="review-order" value={value ?? ''} onChange={(e) => onChange((e.target.value || null) as QueueOrder)} title="Order of the queue" data-testid="review-order">
      <option value="">Most uncertain proposal first</option>
      <option value="margin">Most useful for adaptation (margin)</option>
      <option value="uncertainty">Most useful for adaptation (least confident)</option>
      <option value="diverse">Most useful for adaptation (uncertain and diverse)</option>
    </select>
  );
}
