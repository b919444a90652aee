// The review queue ordered by usefulness to the adapted classifier: items with pending label
// proposals, ranked by the label run's confidence / margin signals (or diversity over embeddings).
import type { AdaptStrategyT } from '../../domain/adapt';
import { readRows } from '../curate/embedding-pages';
import { LABEL_SIGNAL } from '../curate/label-job';
import type { Project } from '../project';
import { chooseForReview, DIVERSE_POOL } from './active';

export interface UsefulItem { itemId: number; confidence: number; margin: number }

/** Reviewed items the diverse order keeps away from (the most recent ones). */
const REVIEWED_CAP = 2000;

export function usefulQueue(project: Project, strategy: AdaptStrategyT, limit: number, model?: string): UsefulItem[] {
  const rows = project.db.prepare(
    `SELECT c.item_id itemId, c.value confidence, m.value margin FROM signals c JOIN signals m ON m.item_id = c.item_id AND m.name = ?
     WHERE c.name = ? AND EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = c.item_id AND a.kind = 'label' AND a.state = 'proposed')`,
  ).all(LABEL_SIGNAL.margin, LABEL_SIGNAL.confidence) as UsefulItem[];
  if (rows.length === 0) return [];
  let x: Float32Array | undefined;
  let reviewed: Float32Array | undefined;
  let dim: number | undefined;
  if (strategy === 'diverse') {
    // Only the uncertain pool the k-center pick draws from is read from the matrix (memory stays bounded).
    rows.sort((a, b) => a.margin - b.margin || a.itemId - b.itemId);
    rows.length = Math.min(rows.length, limit * DIVERSE_POOL);
    const set = model ? project.embeddings.getSet(model) : project.embeddings.listSets()[0];
    if (!set) return [];
    dim = set.dim;
    const rowOf = project.db.prepare('SELECT image_row FROM embedding_rows WHERE set_id = ? AND item_id = ?').pluck();
    const present = rows.filter((r) => rowOf.get(set.id, r.itemId) !== undefined);
    rows.length = 0;
    rows.push(...present);
    const matrix = project.embeddings.matrix(set, 'image');
    try {
      x = readRows(matrix, rows.map((r) => rowOf.get(set.id, r.itemId) as number));
      const done = project.db.prepare(`SELECT DISTINCT r.image_row FROM annotations a JOIN embedding_rows r ON r.item_id = a.item_id AND r.set_id = ?
        WHERE a.kind = 'label' AND a.state IN ('accepted', 'edited', 'rejected') ORDER BY a.updated_at DESC LIMIT ?`).pluck().all(set.id, REVIEWED_CAP) as number[];
      reviewed = readRows(matrix, done);
    } finally {
      matrix.close();
    }
  }
  const picks = chooseForReview(strategy, { confidence: rows.map((r) => r.confidence), margin: rows.map((r) => r.margin), x, dim }, limit, { reviewed });
  return picks.map((i) => rows[i]);
}
