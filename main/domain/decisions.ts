// Decisions by hand and the reasons behind every removal: manual keep/exclude (they override every
// rule), tags, "not a duplicate", and why a rule list removes an item.
import { z } from 'zod';
import { DupKind } from './curation';

export const TAG_RE = /^[^\s,][^,]{0,62}[^\s,]$|^[^\s,]$/;
export const tagName = z.string().trim().regex(TAG_RE, 'a tag is 1-64 characters, no commas, no leading or trailing space');

export const ManualDecisionKind = z.enum(['keep', 'exclude']);
/** A person's decision on one item: it wins over every rule, in the grid, the counts and the export. */
export const ManualDecision = z.object({ decision: ManualDecisionKind, by: z.string(), via: z.string(), at: z.string() });

/** Why an item is removed: the rule, the item's value and the threshold it failed (or the duplicate/issue behind it). */
export const RemovalReason = z.object({
  ruleId: z.string(),
  kind: z.string(),
  label: z.string(),
  signal: z.string().nullable(),
  value: z.number().nullable(),
  /** The keep-condition the value failed ("> 2" means values ≤ 2 are removed). */
  op: z.string().nullable(),
  threshold: z.number().nullable(),
  /** Plain words for non-threshold rules: "duplicate of #12 (perceptual)", "decode_failed". */
  detail: z.string().nullable(),
});

/** What the grid draws on a tile: removal reasons, the decision by hand, tags. */
export const ItemMarks = z.object({
  id: z.number().int(),
  reasons: z.array(RemovalReason),
  manual: ManualDecision.nullable(),
  tags: z.array(z.string()),
  /** Removed after the decision by hand is applied. */
  removed: z.boolean(),
});

export const DupGroupForItem = z.object({
  kind: DupKind,
  keeper: z.number().int(),
  members: z.array(z.object({ id: z.number().int(), key: z.string(), sourceId: z.number().int(), sourceName: z.string(), keeper: z.boolean(),
    /** Perceptual: Hamming distance in bits to the keeper; semantic: cosine to the keeper; exact: 0. */
    distance: z.number().nullable() })),
});

/** Everything Winnow knows about one item (the item panel). */
export const ItemKnowledge = z.object({
  id: z.number().int(),
  marks: ItemMarks,
  tagDetails: z.array(z.object({ tag: z.string(), by: z.string(), at: z.string() })),
  signals: z.array(z.object({ name: z.string(), value: z.number(), model: z.string().nullable(), runId: z.number().int().nullable() })),
  labels: z.array(z.object({ id: z.number().int(), label: z.string(), score: z.number().nullable(), model: z.string(), state: z.string(), assigned: z.boolean(), run: z.string().nullable() })),
  annotations: z.array(z.object({ id: z.number().int(), kind: z.string(), label: z.string(), score: z.number().nullable(), origin: z.string(), state: z.string(), by: z.string() })),
  duplicates: z.array(DupGroupForItem),
  notDuplicateOf: z.array(z.object({ kind: DupKind, other: z.number().int(), by: z.string(), at: z.string() })),
  provenance: z.object({
    source: z.object({ id: z.number().int(), name: z.string(), kind: z.string(), path: z.string() }).nullable(),
    addedAt: z.string().nullable(),
    importJob: z.number().int().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  }),
});

export type ManualDecisionT = z.output<typeof ManualDecision>;
export type RemovalReasonT = z.output<typeof RemovalReason>;
export type ItemMarksT = z.output<typeof ItemMarks>;
export type ItemKnowledgeT = z.output<typeof ItemKnowledge>;
export type DupGroupForItemT = z.output<typeof DupGroupForItem>;
