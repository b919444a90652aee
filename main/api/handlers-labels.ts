// Label / pair-score / concept methods → engine jobs (main/engine/curate/{label,pair-score,concepts}-job.ts).
import { CONCEPTS_JOB, conceptSignal } from '../engine/curate/concepts-job';
import { LABEL_JOB } from '../engine/curate/label-job';
import { labelCounts, labelRuns, startWithEmbeddings, UNCERTAIN } from '../engine/curate/labels-query';
import { PAIR_JOB } from '../engine/curate/pair-score-job';
import { type ClassSpec, DEFAULT_TEMPLATES } from '../engine/curate/zero-shot';
import type { Engine } from '../engine/engine';
import type { HandlersFor } from './handlers';
import type { labelMethods } from './methods/labels';

export const LABEL_DEFAULTS = { k: 3, threshold: 0.3, multiThreshold: 0.5 } as const;

/** A label job's parameters with the defaults filled in (the API, the CLI and the demo start it the same way). */
export function labelJobParams(p: { classes: ClassSpec[]; templates?: string[]; k?: number; threshold?: number; multiLabel?: boolean; thresholds?: Record<string, number> }) {
  const multiLabel = p.multiLabel ?? false;
  return {
    classes: p.classes, templates: p.templates ?? [...DEFAULT_TEMPLATES], k: p.k ?? LABEL_DEFAULTS.k, multiLabel,
    threshold: p.threshold ?? (multiLabel ? LABEL_DEFAULTS.multiThreshold : LABEL_DEFAULTS.threshold), ...(p.thresholds && { thresholds: p.thresholds }),
  };
}

export function labelHandlers(engine: Engine): HandlersFor<keyof typeof labelMethods> {
  return {
    'labels.run': ({ model, ...params }) => ({ jobId: startWithEmbeddings(engine, model, LABEL_JOB, labelJobParams(params)) }),
    'labels.counts': ({ run }) => labelCounts(engine.requireProject().db, run),
    'labels.runs': () => labelRuns(engine.requireProject().db),
    'labels.defaults': () => ({ templates: [...DEFAULT_TEMPLATES], ...LABEL_DEFAULTS, uncertainLabel: UNCERTAIN }),
    'pairscore.run': ({ model }) => ({ jobId: startWithEmbeddings(engine, model, PAIR_JOB, {}) }),
    'concepts.run': ({ prompts, model }) => {
      const unique = [...new Set(prompts)];
      return { jobId: startWithEmbeddings(engine, model, CONCEPTS_JOB, { prompts: unique }), signals: unique.map(conceptSignal) };
    },
  };
}
