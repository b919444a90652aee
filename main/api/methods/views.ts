// Saved views: named grid states stored in the project (domain/views.ts). Imports only zod and the domain.
import { z } from 'zod';
import { SavedView, ViewName, ViewState } from '../../domain/views';

export const viewMethods = {
  'views.list': () => ({ input: z.object({}).strict(), output: z.array(SavedView) }),
  'views.get': () => ({ input: z.object({ name: ViewName }).strict(), output: SavedView }),
  /** Creates the view or replaces the state of the one with this name. */
  'views.save': () => ({ input: z.object({ name: ViewName, state: ViewState }).strict(), output: SavedView }),
  'views.rename': () => ({ input: z.object({ name: ViewName, to: ViewName }).strict(), output: SavedView }),
  'views.delete': () => ({ input: z.object({ name: ViewName }).strict(), output: z.object({ deleted: z.string() }) }),
} as const;
