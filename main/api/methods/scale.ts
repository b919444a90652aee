// Scale-out methods: export the project's choices as a plan that `winnow cluster run` / `run-shard` execute.
// Imports only zod and domain shapes: contract.ts imports this file.
import { z } from 'zod';
import { Rule } from '../../domain/curation';
import { PlanDedup, ScalePlan } from '../../domain/scale';

export const scaleMethods = {
  'plan.export': {
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
    }).strict(),
    output: ScalePlan,
  },
} as const;
