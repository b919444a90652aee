// Curation methods: image statistics job, signals and histograms, rule evaluation, saved selections,
// duplicate groups. The shapes they use live in main/domain/curation.ts.
import { z } from 'zod';
import { signalName, selectionName, Rule, RuleList, SelectionFilter, SignalSummary, Histogram, Evaluation, Selection, SelectionCompare, DupKind, DupGroup } from '../../domain/curation';
import { Run } from '../../domain/runs';

export * from '../../domain/curation';
export * from '../../domain/runs';

const empty = z.object({}).strict();
const id = z.number().int().positive();

export const curationMethods = {
  'curate.runStats': () => ({
    input: z.object({ force: z.boolean().optional(), k: z.number().int().min(0).max(32).optional() }).strict(),
    output: z.object({ jobId: z.number().int() }),
  }),
  'signals.list': () => ({ input: empty, output: z.array(SignalSummary) }),
  'signals.forItem': () => ({
    input: z.object({ id }).strict(),
    output: z.array(z.object({ name: z.string(), value: z.number(), runId: z.number().int().nullable(), model: z.string().nullable(), params: z.string().nullable() })),
  }),
  /** Runs that wrote signals, annotations or duplicate groups (all, or the given ids). */
  'runs.list': () => ({ input: z.object({ ids: z.array(id).max(1000).optional() }).strict(), output: z.array(Run) }),
  'signals.histogram': () => ({
    input: z.object({
      name: signalName, scale: z.enum(['linear', 'log']).optional(), bins: z.number().int().min(8).max(2048).optional(),
      rules: RuleList.optional(), excludeRule: z.string().max(64).optional(),
    }).strict(),
    output: Histogram,
  }),
  'selection.defaults': () => ({ input: empty, output: RuleList }),
  'selection.evaluate': () => ({ input: z.object({ rules: RuleList }).strict(), output: Evaluation }),
  /** Evaluation plus, per threshold rule (by id), its histogram conditioned on the other enabled rules. */
  'selection.panel': () => ({
    input: z.object({ rules: RuleList }).strict(),
    output: z.object({ evaluation: Evaluation, histograms: z.record(z.string(), Histogram) }),
  }),
  'selection.save': () => ({ input: z.object({ name: selectionName, rules: RuleList }).strict(), output: Selection }),
  'selection.list': () => ({ input: empty, output: z.array(Selection) }),
  'selection.get': () => ({ input: z.object({ name: selectionName }).strict(), output: Selection }),
  /** The snapshot next to its rules evaluated on today's data (the live view). */
  'selection.compare': () => ({ input: z.object({ name: selectionName }).strict(), output: SelectionCompare }),
  /** Re-freezes a snapshot from its rules over today's data. */
  'selection.refresh': () => ({ input: z.object({ name: selectionName }).strict(), output: Selection }),
  'selection.delete': () => ({ input: z.object({ name: selectionName }).strict(), output: z.object({ deleted: z.boolean() }) }),
  'duplicates.groups': () => ({
    input: z.object({ kind: DupKind, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(50) }).strict(),
    output: z.object({ total: z.number().int(), groups: z.array(DupGroup) }),
  }),
  'duplicates.setKeeper': () => ({
    input: z.object({ itemId: id }).strict(),
    output: z.object({ changed: z.boolean(), groups: z.array(z.object({ kind: DupKind, keeper: z.number().int() })) }),
  }),
} as const;
