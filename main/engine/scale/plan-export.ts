// A scale-out plan from an open project: its sources, the model its vectors came from, the rules of a saved
// selection (or given ones), the dedup settings and the stages it ran (plan-stages.ts), so the choices made on a sample in the app run
// unchanged over the full dataset (main/engine/scale).
import { ApiError } from '../../domain/errors';
import type { RuleInput } from '../../domain/curation';
import { type PlanStagesT, ScalePlan, type ScalePlanInput, type ScalePlanT } from '../../domain/scale';
import { SelectionStore } from '../curate/selection';
import type { Project } from '../project';

export interface PlanExportOptions {
  output: string;
  model: string;
  name?: string;
  selection?: string;
  rules?: RuleInput[];
  dedup?: ScalePlanInput['dedup'];
  rowsPerShard?: number;
  batchSize?: number;
  /** The stages beyond embedding (plan-stages.ts fills them from the project's runs). */
  stages?: PlanStagesT;
}

export function exportPlan(project: Project, o: PlanExportOptions): ScalePlanT {
  const sources = [...project.sources.locations()].sort(([a], [b]) => a - b).map(([, s]) => ({ kind: s.kind, path: s.path }));
  if (!sources.length) throw new ApiError('bad_input', 'the project has no sources to plan a run over: add one first');
  const rules = o.selection ? new SelectionStore(project.db).get(o.selection).rules : (o.rules ?? []);
  const parsed = ScalePlan.safeParse({
    version: 1, name: o.name ?? project.name, sources, model: o.model, rules, output: o.output,
    ...(o.dedup && { dedup: o.dedup }), ...(o.rowsPerShard && { rowsPerShard: o.rowsPerShard }), ...(o.batchSize && { batchSize: o.batchSize }),
    ...(o.stages && { stages: o.stages }),
  });
  if (!parsed.success) throw new ApiError('bad_input', `cannot make a plan: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
