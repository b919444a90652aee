// A label job's parameters with the model-dependent defaults filled in from the model's calibration: shared by
// labels.run and plan export (a scale-out plan carries the values the project's job would run with).
import type { ClassSpec } from './zero-shot';
import type { Calibration } from '../vision/task-models';

/** Defaults that do not depend on the model. */
export const LABEL_DEFAULTS = { k: 3, multiThreshold: 0.5 } as const;

export type LabelInput = { classes: ClassSpec[]; templates?: string[]; k?: number; threshold?: number; multiLabel?: boolean; thresholds?: Record<string, number> };

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

