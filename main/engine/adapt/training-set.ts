// The curator's reviews as training examples: every reviewed label annotation on an embedded item.
// Accepted or relabelled ('edited') → the item's class; rejected → a class the item is not. Labels
// outside the classifier's class list are skipped (they cannot be learnt by this head).
import type { Project } from '../project';
import type { EmbeddingSet } from '../store/embeddings';
import { readRows } from '../curate/embedding-pages';
import type { Examples } from './classifier';

export interface TrainingSet {
  examples: Examples;
  itemIds: number[];
  /** Example indexes in the order the curator reviewed them (first review of each item). */
  reviewOrder: number[];
  labelled: number;
  rejectedOnly: number;
}

interface ReviewRow { itemId: number; imageRow: number; label: string; state: 'accepted' | 'edited' | 'rejected'; at: string }

/** SQL: items whose image label the curator settled (accepted or relabelled); they are not re-labelled. */
export const SETTLED_ITEMS = `SELECT item_id FROM annotations WHERE kind = 'label' AND state IN ('accepted', 'edited')`;

export function reviewedExamples(project: Project, set: EmbeddingSet, classes: readonly string[]): TrainingSet {
  const index = new Map(classes.map((c, i) => [c, i]));
  const rows = project.db.prepare(
    `SELECT a.item_id itemId, r.image_row imageRow, a.label, a.state, a.updated_at at FROM annotations a
     JOIN embedding_rows r ON r.item_id = a.item_id AND r.set_id = ?
     WHERE a.kind = 'label' AND a.state IN ('accepted', 'edited', 'rejected') ORDER BY a.item_id, a.updated_at, a.id`,
  ).all(set.id) as ReviewRow[];
  const byItem = new Map<number, { imageRow: number; target: number; rejected: Set<number>; at: string }>();
  for (const r of rows) {
    const k = index.get(r.label);
    if (k === undefined) continue;
    const e = byItem.get(r.itemId) ?? { imageRow: r.imageRow, target: -1, rejected: new Set<number>(), at: r.at };
    if (r.at < e.at) e.at = r.at;
    if (r.state === 'rejected') e.rejected.add(k);
    else e.target = k;
    byItem.set(r.itemId, e);
  }
  const itemIds = [...byItem.keys()];
  const entries = [...byItem.values()];
  for (const e of entries) if (e.target >= 0) e.rejected.delete(e.target);
  const dim = set.dim;
  const matrix = project.embeddings.matrix(set, 'image');
  let x: Float32Array;
  try {
    x = readRows(matrix, entries.map((e) => e.imageRow));
  } finally {
    matrix.close();
  }
  const target = Int32Array.from(entries, (e) => e.target);
  const labelled = entries.filter((e) => e.target >= 0).length;
  const reviewOrder = entries.map((_, i) => i).sort((a, b) => (entries[a].at < entries[b].at ? -1 : entries[a].at > entries[b].at ? 1 : itemIds[a] - itemIds[b]));
  return { examples: { dim, x, target, rejected: entries.map((e) => [...e.rejected]) }, itemIds, reviewOrder, labelled, rejectedOnly: entries.length - labelled };
}
