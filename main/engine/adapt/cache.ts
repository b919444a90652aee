// Tip-Adapter (Zhang et al., 2022), training-free: the reviewed image embeddings are the keys of a
// cache whose values are one-hot labels; an item's cache logits are the values weighted by
// exp(−β(1 − cos(item, key))), scaled by α and added to the text classifier's logits. A rejection
// is a negative one-hot value: it pushes that class down for look-alikes of the rejected item.
import type { Classifier, Examples } from './classifier';

export function buildCache(base: Classifier, e: Examples, alpha: number, beta: number): Classifier {
  const n = e.target.length;
  const values = new Float32Array(n * base.classes);
  for (let r = 0; r < n; r++) {
    if (e.target[r] >= 0) values[r * base.classes + e.target[r]] += alpha;
    for (const rej of e.rejected[r]) values[r * base.classes + rej] -= alpha;
  }
  return { ...base, method: 'cache', cache: { keys: Float32Array.from(e.x), values, beta } };
}
