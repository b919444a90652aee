// Scale-out methods: export the project's choices as a plan that `winnow cluster run` / `run-shard` execute.
// Imports only zod and domain shapes: contract.ts imports this file.
import { z } from 'zod';
import { DupKind, Rule } from '../../domain/curation';
import { PlanDedup, ScalePlan } from '../../domain/scale';

export const scaleMethods = {
  'plan.export': () => ({
    input: z.object({
      /** Where shard outputs and the merged result go: a folder every worker sees, or s3://bucket/prefix. */
      output: z.string().min(1).max(4096),
      name: z.string().min(1).max(200).optional(),
      model: z.string().min(1).max(4096).optional(),
      /** A saved selection whose rules the plan carries (else `rules`, else none). */
      selection: z.string().min(1).max(120).optional(),
      rules: z.array(Rule).max(52).optional(),
      dedup: PlanDedup.partial().optional(),
      rowsPerShard: z.number().int().positive().optional(),
      batchSize: z.number().int().positive().optional(),
      /** false: embed only; else the plan also runs what the project ran (stats, latest labels, concepts, latest detection). */
      stages: z.boolean().optional(),
      /** An absolute file path: the plan is also written there as JSON (what `winnow cluster run FILE` takes). */
      out: z.string().min(1).max(4096).optional(),
    }).strict(),
    output: ScalePlan,
  }),
  /**
   * Duplicate groups found elsewhere (a merged scale-out result, `winnow cluster open`) for items of one
   * source, by item key: replaces every group of the kinds listed. Keys not in the source are skipped.
   */
  'duplicates.adopt': () => ({
    input: z.object({
      sourceId: z.number().int().positive(),
      kinds: z.array(DupKind).min(1),
      groups: z.array(z.object({ kind: DupKind, keeper: z.string().min(1), members: z.array(z.string().min(1)).min(2) }).strict()).max(1_000_000),
    }).strict(),
    output: z.object({ groups: z.number().int(), missing: z.number().int() }),
  }),
} as const;
