// Region thresholds: the chosen cut against an exhaustive search over every possible cut.
import { describe, expect, it } from 'vitest';
import { bestCut, rejectsPerAccept, type ScoredReview } from '../../../main/engine/adapt/regions';
import { mulberry32 } from '../../../main/engine/curate/kmeans';

function bruteForce(reviews: ScoredReview[]): { net: number; cut: number } {
  let best = { net: -Infinity, cut: NaN };
  for (const cut of [...new Set(reviews.map((r) => r.score))].sort((a, b) => a - b)) {
    const kept = reviews.filter((r) => r.score >= cut);
    const net = kept.filter((r) => r.accepted).length - kept.filter((r) => !r.accepted).length;
    if (net > best.net) best = { net, cut };
  }
  return best;
}

describe('per-class detection thresholds', () => {
  it('maximizes accepted-kept minus rejected-kept with the lowest such cut, like an exhaustive search', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const rnd = mulberry32(seed);
      const reviews = Array.from({ length: 5 + Math.floor(rnd() * 30) }, () => {
        const accepted = rnd() < 0.5;
        return { accepted, score: Math.round((accepted ? 0.3 + rnd() * 0.7 : rnd() * 0.7) * 20) / 20 };
      });
      if (!reviews.some((r) => r.accepted) || !reviews.some((r) => !r.accepted)) continue;
      const want = bruteForce(reviews);
      expect(bestCut(reviews)).toBe(want.cut);
    }
  });

  it('reports rejects per accepted proposal before and after the cut, and no cut without both kinds of review', () => {
    const reviews = [{ score: 0.9, accepted: true }, { score: 0.8, accepted: true }, { score: 0.4, accepted: false }, { score: 0.3, accepted: false }, { score: 0.35, accepted: true }];
    // Cuts 0.8 and 0.35 both keep net 2; the lower one keeps the accepted 0.35 box too.
    expect(bestCut(reviews)).toBe(0.35);
    expect(rejectsPerAccept(reviews, null)).toBeCloseTo(2 / 3);
    expect(rejectsPerAccept(reviews, 0.35)).toBeCloseTo(1 / 3);
    expect(bestCut([{ score: 0.5, accepted: true }])).toBeNull();
  });
});
