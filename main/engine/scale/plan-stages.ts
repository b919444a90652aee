// The stages a plan carries, from what the project ran: pixel statistics when it has a stats run, the classes
// (and k, mode) of its latest label run, the prompts of its concept runs, the queries of its latest detection.
// Models are the project's current choice per task and every model-dependent value is resolved now (a value the
// curator typed stays as typed; one that came from calibration is read from the chosen model's calibration), so
// each shard computes what the project's own job would compute today.
import type { PlanStagesT } from '../../domain/scale';
import { CONCEPTS_JOB } from '../curate/concepts-job';
import { LABEL_JOB, type LabelParams } from '../curate/label-job';
import { labelJobParams } from '../curate/label-params';
import { STATS_JOB } from '../curate/stats-job';
import { calibratedThresholds, DETECT_JOB, type DetectParams } from '../detect/detect-job';
import type { Project } from '../project';
import type { Run } from '../store/runs';
import type { ModelManager } from '../vision/model-manager';
import { Calibration, requireModelFor } from '../vision/task-models';

/** The value a run used when the curator gave it explicitly (its calibration record says so), else undefined. */
function explicit<T>(run: Run, key: string, value: T): T | undefined {
  return (run.params.calibration as Record<string, string> | undefined)?.[key] === 'explicit' ? value : undefined;
}

export async function planStages(project: Project, models: ModelManager): Promise<PlanStagesT> {
  const runs = project.runs.list().filter((r) => r.finishedAt !== null);
  const latest = (kind: string) => runs.filter((r) => r.kind === kind).at(-1);
  const stages: PlanStagesT = {};
  if (latest(STATS_JOB)) stages.stats = {};
  const label = latest(LABEL_JOB);
  if (label) {
    const p = label.params as unknown as LabelParams & { config: string };
    const model = requireModelFor(project, 'labels');
    // Multi-label thresholds chosen on the project's items (automatic ones included) are fixed for every shard.
    const stored = project.db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(`label.config.${p.config}`) as string | undefined;
    const thresholds = p.multiLabel ? (stored ? (JSON.parse(stored) as { thresholds?: Record<string, number> }).thresholds : undefined) ?? p.thresholds : undefined;
    const job = labelJobParams({
      classes: p.classes, k: p.k, multiLabel: p.multiLabel, ...(thresholds && { thresholds }),
      templates: explicit(label, 'labelTemplates', p.templates), threshold: p.multiLabel ? p.threshold : explicit(label, 'labelThreshold', p.threshold),
    }, await Calibration.load(models, project, model));
    stages.labels = { model, classes: job.classes, templates: job.templates, k: job.k, threshold: job.threshold, multiLabel: job.multiLabel, ...(job.thresholds && { thresholds: job.thresholds }), ...(job.logitScale !== undefined && { logitScale: job.logitScale }) };
  }
  // Concept scores read the plan's (embedding) model's vectors, as concepts.run reads the embed model's.
  const prompts = runs.filter((r) => r.kind === CONCEPTS_JOB).flatMap((r) => Object.values((r.params.prompts ?? {}) as Record<string, string>));
  if (prompts.length) stages.concepts = { prompts: [...new Set(prompts)] };
  const detect = latest(DETECT_JOB);
  if (detect) {
    const p = detect.params as unknown as DetectParams;
    const model = requireModelFor(project, p.segment ? 'segment' : 'detect');
    const t = calibratedThresholds(await Calibration.load(models, project, model), explicit(detect, 'detectThreshold', p.threshold), explicit(detect, 'maskMargin', p.maskThreshold));
    stages.detect = {
      model, queries: p.queries, segment: p.segment, ...(t.threshold !== undefined && { threshold: t.threshold }), ...(t.maskThreshold !== undefined && { maskThreshold: t.maskThreshold }),
      ...(p.thresholds && { thresholds: p.thresholds }), ...(p.minScores && { minScores: p.minScores }), ...(p.negatives !== undefined && { negatives: p.negatives }),
    };
  }
  return stages;
}
