// Label / pair-score / concept methods → engine jobs (main/engine/curate/{label,pair-score,concepts}-job.ts).
// Model-dependent defaults (templates, uncertainty threshold, logit scale, pair threshold) come from the
// chosen model's calibration (main/engine/vision/task-models.ts).
import { CONCEPTS_JOB, conceptSignal } from '../engine/curate/concepts-job';
import { LABEL_JOB } from '../engine/curate/label-job';
import { labelCounts, labelRuns, startWithEmbeddings, UNCERTAIN } from '../engine/curate/labels-query';
import { PAIR_JOB } from '../engine/curate/pair-score-job';
import type { Engine } from '../engine/engine';
import { Calibration, requireModelFor } from '../engine/vision/task-models';
import { LABEL_DEFAULTS, labelJobParams } from '../engine/curate/label-params';
import type { HandlersFor } from './handlers';
import type { labelMethods } from './methods/labels';

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
