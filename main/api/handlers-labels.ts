// Label / pair-score / concept methods → engine jobs (main/engine/curate/{label,pair-score,concepts}-job.ts).
import { CONCEPTS_JOB, conceptSignal } from '../engine/curate/concepts-job';
import { LABEL_JOB } from '../engine/curate/label-job';
import { labelCounts, startWithEmbeddings, UNCERTAIN } from '../engine/curate/labels-query';
import { PAIR_JOB } from '../engine/curate/pair-score-job';
import { DEFAULT_TEMPLATES } from '../engine/curate/zero-shot';
import type { Engine } from '../engine/engine';
import type { HandlersFor } from './handlers';
import type { labelMethods } from './methods/labels';

export const LABEL_DEFAULTS = { k: 3, threshold: 0.3, multiThreshold: 0.5 } as const;

export function labelHandlers(engine: Engine): HandlersFor<keyof typeof labelMethods> {
  return {
    'labels.run': ({ model, classes, templates, k, threshold, multiLabel, thresholds }) => ({
      jobId: startWithEmbeddings(engine, model, LABEL_JOB, {
        classes, templates: templates ?? [...DEFAULT_TEMPLATES], k: k ?? LABEL_DEFAULTS.k, multiLabel: multiLabel ?? false,
        threshold: threshold ?? (multiLabel ? LABEL_DEFAULTS.multiThreshold : LABEL_DEFAULTS.threshold), ...(thresholds && { thresholds }),
      }),
    }),
    'labels.counts': ({ run }) => labelCounts(engine.requireProject().db, run),
    'labels.defaults': () => ({ templates: [...DEFAULT_TEMPLATES], ...LABEL_DEFAULTS, uncertainLabel: UNCERTAIN }),
    'pairscore.run': ({ model }) => ({ jobId: startWithEmbeddings(engine, model, PAIR_JOB, {}) }),
    'concepts.run': ({ prompts, model }) => {
      const unique = [...new Set(prompts)];
      return { jobId: startWithEmbeddings(engine, model, CONCEPTS_JOB, { prompts: unique }), signals: unique.map(conceptSignal) };
    },
  };
}
