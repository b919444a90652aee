// Regions: reviewed detection proposals adapt each class's score threshold. For a class, the cut is
// the proposal score that keeps the most accepted boxes net of rejected ones (accepted kept − rejected
// kept, ties to the lower cut so recall is not traded for nothing); the next detection run passes it as
// `minScores[label]` and proposes fewer boxes the curator would reject. (A minimum score, not the
// detector's threshold: for the dense detector the threshold also shapes the region, hence the box.)
import type { RegionThresholdT } from '../../domain/adapt';
import type { Db } from '../store/database';

export interface ScoredReview { score: number; accepted: boolean }

/** The best cut for one class's reviewed proposals (null without an accepted and a rejected one). */
export function bestCut(reviews: readonly ScoredReview[]): number | null {
  if (!reviews.some((r) => r.accepted) || !reviews.some((r) => !r.accepted)) return null;
  const sorted = [...reviews].sort((a, b) => b.score - a.score);
  // Sweep cuts from high to low: cut at sorted[i].score keeps sorted[0..i] (and ties).
  let best = -Infinity, cut: number | null = null, net = 0;
  for (let i = 0; i < sorted.length; i++) {
    net += sorted[i].accepted ? 1 : -1;
    if (i + 1 < sorted.length && sorted[i + 1].score === sorted[i].score) continue;
    if (net >= best) { best = net; cut = sorted[i].score; }
  }
  return cut;
}

export function rejectsPerAccept(reviews: readonly ScoredReview[], cut: number | null): number | null {
  const kept = reviews.filter((r) => cut === null || r.score >= cut);
  const accepted = kept.filter((r) => r.accepted).length;
  return accepted === 0 ? null : (kept.length - accepted) / accepted;
}

/** Per-class thresholds from the reviewed box/mask proposals of detection runs. */
export function regionThresholds(db: Db): RegionThresholdT[] {
  const rows = db.prepare(`SELECT label, score, state FROM annotations WHERE kind IN ('box', 'mask') AND score IS NOT NULL
    AND json_extract(params, '$.run') = 'detect' AND state IN ('accepted', 'edited', 'rejected') ORDER BY label`).all() as { label: string; score: number; state: string }[];
  const byLabel = new Map<string, ScoredReview[]>();
  for (const r of rows) byLabel.set(r.label, [...(byLabel.get(r.label) ?? []), { score: r.score, accepted: r.state !== 'rejected' }]);
  return [...byLabel].map(([label, reviews]) => {
    const threshold = bestCut(reviews);
    return {
      label, accepted: reviews.filter((r) => r.accepted).length, rejected: reviews.filter((r) => !r.accepted).length, threshold,
      rejectsPerAcceptBefore: rejectsPerAccept(reviews, null), rejectsPerAcceptAfter: rejectsPerAccept(reviews, threshold),
    };
  });
}
