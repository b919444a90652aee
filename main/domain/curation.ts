// Curation's domain shapes: rules, selections, histograms, evaluations, duplicate groups.
import { z } from 'zod';

/** Signal names are restricted to this alphabet (it also keeps compiled rule SQL injection-free). */
export const SIGNAL_NAME_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
export const signalName = z.string().regex(SIGNAL_NAME_RE, 'letters, digits and . _ : - only');

export const RuleKind = z.enum([
  'caption_words', 'caption_chars', 'min_side', 'aspect', 'unreadable',
  'exact_dup', 'near_dup', 'semantic_dup', 'blurry', 'dark', 'bright', 'low_info', 'signal',
]);
export const RuleOp = z.enum(['<', '<=', '>', '>=']);

/** The keep-conditions, as a rule's SQL applies them (curate/rules.ts removes items that fail them). */
export const KEEPS: Record<z.output<typeof RuleOp>, (value: number, threshold: number) => boolean> = {
  '>': (v, t) => v > t, '>=': (v, t) => v >= t, '<': (v, t) => v < t, '<=': (v, t) => v <= t,
};

/**
 * A filter rule. `op threshold` says what an item needs to be KEPT ("caption.words > 2"); items whose
 * signal fails it are removed. An item without the signal is not touched by the rule. `keepTop` (0-1]
 * replaces the threshold by a quantile: keep the top fraction of items that have the signal.
 * Duplicate rules remove non-keepers; `unreadable` removes items with decode errors.
 */
export const Rule = z.object({
  id: z.string().min(1).max(64),
  kind: RuleKind,
  enabled: z.boolean().default(true),
  signal: signalName.optional(),
  op: RuleOp.optional(),
  threshold: z.number().finite().optional(),
  keepTop: z.number().gt(0).max(1).optional(),
  label: z.string().max(200).optional(),
}).strict();
export const RuleList = z.array(Rule).max(52);

export const selectionName = z.string().trim().min(1).max(120);
const show = z.enum(['kept', 'removed']).default('kept');
/** Filters items.page / items.count: an ad-hoc rule list or a saved selection, showing kept or removed items. */
export const SelectionFilter = z.union([
  // `rule`: the per-rule gallery, items that one rule removes (`only`: and no other enabled rule); `show` is then ignored.
  z.object({ rules: RuleList, show, rule: z.string().min(1).max(64).optional(), only: z.boolean().optional() }).strict(),
  z.object({ name: selectionName, show }).strict(),
]);

export const SignalSummary = z.object({ name: z.string(), count: z.number().int(), min: z.number(), max: z.number(), model: z.string().nullable() });

export const Histogram = z.object({
  name: z.string(),
  /** Items that have the signal. */
  count: z.number().int(),
  min: z.number(),
  max: z.number(),
  scale: z.enum(['linear', 'log']),
  /** True when every value is an integer and each fine bin holds exactly one integer value. */
  integer: z.boolean(),
  /** Fine bin edges are lo + i*(hi-lo)/fine.length in scale space (log: ln(1+v)). */
  lo: z.number(),
  hi: z.number(),
  fine: z.array(z.number().int()),
  /** Same bins, counting only items the other enabled rules keep; null without rules. */
  fineKept: z.array(z.number().int()).nullable(),
  /** Items the other enabled rules keep (with or without this signal); null without rules. */
  keptByOthers: z.number().int().nullable(),
  total: z.number().int(),
});

export const RuleCounts = z.object({
  id: z.string(),
  /** Items this rule removes on its own. */
  removedAlone: z.number().int(),
  /** Items this rule removes that no earlier enabled rule removed (sums to `removed`). */
  removedCumulative: z.number().int(),
  /** Items that have the rule's signal (the rule does not apply to the others). */
  withSignal: z.number().int().nullable(),
  /** The threshold used, after resolving keepTop. */
  threshold: z.number().nullable(),
});
/** How decisions by hand moved the counts: `rescued` kept by hand though a rule removes them, `added` excluded by hand though every rule keeps them. */
export const ManualEffect = z.object({ rescued: z.number().int(), added: z.number().int(), kept: z.number().int(), excluded: z.number().int() });
/** kept/removed include decisions by hand (they override every rule); per-rule counts are the rules' alone. */
export const Evaluation = z.object({ total: z.number().int(), kept: z.number().int(), removed: z.number().int(), rules: z.array(RuleCounts), manual: ManualEffect.optional() });

/**
 * A saved selection is a frozen snapshot: `kept` item ids were copied when it was saved (frozenAt),
 * from these rules over the runs `runIds` (signals, duplicate groups). Later runs do not change it.
 */
export const Selection = z.object({
  id: z.number().int(), name: z.string(), rules: RuleList, createdAt: z.string(), updatedAt: z.string(),
  frozenAt: z.string().nullable(), kept: z.number().int(), total: z.number().int().nullable(), runIds: z.array(z.number().int()),
  /** The rules' counts when the snapshot was frozen. */
  evaluation: Evaluation.nullable(),
});
/** A snapshot next to its rules evaluated on today's data. */
export const SelectionCompare = z.object({
  name: z.string(), total: z.number().int(), snapshotKept: z.number().int(), liveKept: z.number().int(),
  /** Kept by the snapshot, removed by the rules today (and the reverse). */
  onlyInSnapshot: z.number().int(), onlyLive: z.number().int(),
  runIds: z.array(z.number().int()), liveRunIds: z.array(z.number().int()), sameRuns: z.boolean(),
});

export const DupKind = z.enum(['exact', 'phash', 'semantic']);
export const DupMember = z.object({
  id: z.number().int(), key: z.string(), width: z.number().int().nullable(), height: z.number().int().nullable(),
  caption: z.string().nullable(), keeper: z.boolean(), distance: z.number().int().nullable(),
  /** Likeness to the keeper: exact 1, perceptual 1 - bits/64, semantic the embedding cosine (null: unknown). */
  similarity: z.number().nullable().optional(),
  /** The source this copy came from. */
  sourceId: z.number().int().optional(), source: z.string().optional(),
});
/** `similarity`: the lowest likeness of a member to the keeper (how loose the group is). */
export const DupGroup = z.object({ keeper: z.number().int(), members: z.array(DupMember), similarity: z.number().nullable().optional() });

export type RuleT = z.output<typeof Rule>;
export type RuleInput = z.input<typeof Rule>;
export type HistogramT = z.output<typeof Histogram>;
export type EvaluationT = z.output<typeof Evaluation>;
export type SelectionT = z.output<typeof Selection>;
export type SelectionCompareT = z.output<typeof SelectionCompare>;
export type SelectionFilterT = z.output<typeof SelectionFilter>;
export type DupGroupT = z.output<typeof DupGroup>;
export type SignalSummaryT = z.output<typeof SignalSummary>;
