// The review queue's order: most uncertain proposals first (the default), or the items that most
// improve the adapted classifier (adapt.queue: uncertainty, margin, or a diversity-aware pick).
import type { AdaptStrategyT } from '../../../../main/domain/adapt';

export type QueueOrder = AdaptStrategyT | null;

export function UsefulOrder({ value, onChange }: { value: QueueOrder; onChange: (v: QueueOrder) => void }) {
  return (
    <select name="review-order" value={value ?? ''} onChange={(e) => onChange((e.target.value || null) as QueueOrder)} title="Order of the queue" data-testid="review-order">
      <option value="">Most uncertain first</option>
      <option value="margin" title="Smallest margin of the adapted classifier">Most useful: margin</option>
      <option value="uncertainty" title="Least confident under the adapted classifier">Most useful: least confident</option>
      <option value="diverse" title="Uncertain and spread over the embedding space">Most useful: diverse</option>
    </select>
  );
}
