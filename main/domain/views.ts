// Saved views: one named grid state (FiftyOne's saved views) that search, map regions, label filters and
// rule lists combine into. Stored in the project (saved_views), opened from the sidebar, listed by the CLI.
import { z } from 'zod';
import { SelectionFilter } from './curation';

export const VIEW_NAME_RE = /^[^\u0000-\u001f]{1,120}$/;
export const ViewName = z.string().trim().regex(VIEW_NAME_RE, 'a view name is 1-120 printable characters');

/** Text search (or "more like" an item) inside the rest of the view, with a similarity cutoff. */
export const ViewSearch = z.union([
  z.object({ text: z.string().trim().min(1).max(1000), minScore: z.number().min(-1).max(1).optional() }).strict(),
  z.object({ similarTo: z.number().int().positive(), minScore: z.number().min(-1).max(1).optional() }).strict(),
]);

/** Items picked on the embedding map (lasso or rectangle). */
export const ViewRegion = z.object({ ids: z.array(z.number().int().positive()).min(1).max(200_000), label: z.string().max(200).optional() }).strict();

export const ViewState = z.object({
  sourceId: z.number().int().positive().optional(),
  selection: SelectionFilter.optional(),
  label: z.string().min(1).max(200).optional(),
  region: ViewRegion.optional(),
  search: ViewSearch.optional(),
}).strict();

export const SavedView = z.object({
  id: z.number().int(),
  name: z.string(),
  state: ViewState,
  /** Items the view shows now (search hits are not counted: they depend on the model). */
  summary: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type ViewStateT = z.output<typeof ViewState>;
export type SavedViewT = z.output<typeof SavedView>;

/** Plain words for what a view holds, e.g. `search “red circle” ≥ 0.25 · label cat · 120 map points`. */
export function describeView(state: ViewStateT): string {
  const parts: string[] = [];
  if (state.search) parts.push('text' in state.search ? `search “${state.search.text}”` : `more like #${state.search.similarTo}`);
  if (state.search?.minScore !== undefined) parts.push(`similarity ≥ ${state.search.minScore}`);
  if (state.region) parts.push(`${state.region.ids.length.toLocaleString('en')} map points`);
  if (state.label) parts.push(`label ${state.label}`);
  if (state.selection) parts.push('name' in state.selection ? `selection ${state.selection.name} (${state.selection.show})` : `${state.selection.rules.filter((r) => r.enabled !== false).length} rules (${state.selection.show})`);
  if (state.sourceId) parts.push(`source #${state.sourceId}`);
  return parts.length ? parts.join(' · ') : 'all items';
}
