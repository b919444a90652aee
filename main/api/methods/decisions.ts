// Decisions by hand and removal reasons: manual keep/exclude, tags, bulk label acceptance, "not a
// duplicate", the reasons behind every removal, and everything known about one item. Shapes live in
// main/domain/decisions.ts.
import { z } from 'zod';
import { DupKind, RuleList, SelectionFilter } from '../../domain/curation';
import { ItemKnowledge, ItemMarks, ManualDecisionKind, tagName } from '../../domain/decisions';

export * from '../../domain/decisions';

const id = z.number().int().positive();
/** A bulk action's items (a selection in the grid resolves to ids; 100k per call, the client chunks bigger ones). */
const ids = z.array(id).min(1).max(100_000);
/** Who asked (the app, the CLI, a browser); the engine records the OS user itself. */
const via = z.string().min(1).max(40).optional();
const changed = z.object({ changed: z.number().int() });

export const decisionMethods = {
  /** Removal reasons under `rules` (default: the default rule list), decision by hand and tags, per id. */
  'items.marks': () => ({ input: z.object({ ids: z.array(id).max(1000), rules: RuleList.optional() }).strict(), output: z.array(ItemMarks) }),
  'items.knowledge': () => ({ input: z.object({ id, rules: RuleList.optional() }).strict(), output: ItemKnowledge }),
  /** The ids of a grid range (same filters as items.page), for turning a selection of rows into ids. */
  'items.ids': () => ({
    input: z.object({
      offset: z.number().int().min(0), limit: z.number().int().min(1).max(100_000), sourceId: id.optional(),
      selection: SelectionFilter.optional(), label: z.string().min(1).max(200).optional(), tag: tagName.optional(),
    }).strict(),
    output: z.array(z.number().int()),
  }),
  /** Keep or exclude by hand (null clears the decision): overrides every rule in the grid, counts and export. */
  'decide.set': () => ({ input: z.object({ ids, decision: ManualDecisionKind.nullable(), via }).strict(), output: changed }),
  'tags.add': () => ({ input: z.object({ ids, tag: tagName }).strict(), output: changed }),
  'tags.remove': () => ({ input: z.object({ ids, tag: tagName }).strict(), output: changed }),
  'tags.list': () => ({ input: z.object({}).strict(), output: z.array(z.object({ tag: z.string(), count: z.number().int() })) }),
  /** Accepts the label proposals the labeling runs assigned to these items (through review, so undo works). */
  'labels.acceptFor': () => ({ input: z.object({ ids, user: z.string().min(1).max(200).optional() }).strict(), output: z.object({ accepted: z.number().int() }) }),
  /** "Not a duplicate": each item leaves its duplicate groups (of `kind`, or all); remembered by later dedup runs. */
  'duplicates.notDuplicate': () => ({ input: z.object({ ids: z.array(id).min(1).max(10_000), kind: DupKind.optional() }).strict(), output: z.object({ groups: z.number().int() }) }),
} as const;
