// Label / pair-score / concept methods → engine jobs (main/engine/curate/{label,pair-score,concepts}-job.ts).
// Model-dependent defaults (templates, uncertainty threshold, logit scale, pair threshold) come from the
// chosen model's calibration (main/engine/vision/task-models.ts).
import { CONCEPTS_JOB, conceptSignal } from '../engine/curate/concepts-job';
import { LABEL_JOB } from '../engine/curate/label-job';
import { labelCounts, labelRuns, startWithEmbeddings, UNCERTAIN } from '../engine/curate/labels-query';
import { PAIR_JOB } from '../engine/curate/pair-score-job';
import type { ClassSpec } from '../engine/curate/zero-shot';
import type { Engine } from '../engine/engine';
import { Calibration, requireModelFor } from '../engine/vision/task-models';
import type { HandlersFor } from './handlers';
import type { labelMethods } from './methods/labels';

/** Defaults that do not depend on the model. */
export const LABEL_DEFAULTS = { k: 3, multiThreshold: 0.5 } as const;

type LabelInput = { classes: ClassSpec[]; templates?: string[]; k?: number; threshold?: number; multiLabel?: boolean; thresholds?: Record<string, number> };

/** A label job's parameters with the defaults filled in: explicit, else the project's override, else the model's entry. */
export function labelJobParams(p: LabelInput, cal: Calibration) {
  const multiLabel = p.multiLabel ?? false;
  const templates = cal.require<string[]>('labelTemplates', p.templates);
  const threshold = multiLabel ? p.threshold ?? LABEL_DEFAULTS.multiThreshold : cal.require<number>('labelThreshold', p.threshold);
  const logitScale = cal.get<number>('logitScale');
  return {
    classes: p.classes, templates: [...templates], k: p.k ?? LABEL_DEFAULTS.k, multiLabel, threshold, ...(p.thresholds && { thresholds: p.thresholds }),
    ...(logitScale !== undefined && { logitScale }),
    calibration: cal.provenance(multiLabel ? ['labelTemplates', 'logitScale'] : ['labelTemplates', 'labelThreshold', 'logitScale'], { labelTemplates: p.templates, labelThreshold: p.threshold }),
  };
}

export function labelHandlers(engine: Engine): HandlersFor<keyof typeof labelMethods> {
  const calibration = (model: string) => Calibration.load(engine.models, engine.requireProject(), model);
  return {
    'labels.run': async ({ model, ...params }) => {
      const id = requireModelFor(engine.requireProject(), 'labels', model);
      const job = labelJobParams(params, await calibration(id));
      return { jobId: startWithEmbeddings(engine, id, LABEL_JOB, job) };
    },
    'labels.counts': ({ run }) => labelCounts(engine.requireProject().db, run),
    'labels.runs': () => labelRuns(engine.requireProject().db),
    'labels.defaults': async ({ model }) => {
      const id = requireModelFor(engine.requireProject(), 'labels', model);
      const cal = await calibration(id);
      return { model: id, templates: cal.get<string[]>('labelTemplates') ?? [], k: LABEL_DEFAULTS.k, threshold: cal.get<number>('labelThreshold') ?? null, multiThreshold: LABEL_DEFAULTS.multiThreshold, uncertainLabel: UNCERTAIN };
    },
    'pairscore.run': async ({ model }) => {
      const id = requireModelFor(engine.requireProject(), 'pairscore', model);
      const threshold = (await calibration(id)).get<number>('pairThreshold');
      return { jobId: startWithEmbeddings(engine, id, PAIR_JOB, threshold === undefined ? {} : { threshold }) };
    },
    'concepts.run': ({ prompts, model }) => {
      const unique = [...new Set(prompts)];
      const id = requireModelFor(engine.requireProject(), 'embed', model);
      return { jobId: startWithEmbeddings(engine, id, CONCEPTS_JOB, { prompts: unique }), signals: unique.map(conceptSignal) };
    },
  };
}
