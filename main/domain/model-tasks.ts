// Which model a project uses for each task, and which values depend on the model (calibration keys).
// Zod-free so the renderer bundle can import the lists and labels (the schemas are in calibration.ts).

/** The tasks a project chooses a model for. Search, the map, concepts and semantic dedup read the `embed` model's vectors. */
export const TASK_SLOTS = ['embed', 'pairscore', 'labels', 'detect', 'segment', 'refine'] as const;
export type TaskSlot = (typeof TASK_SLOTS)[number];

export const TASK_SLOT_LABELS: Record<TaskSlot, string> = {
  embed: 'Image/text embedding',
  pairscore: 'Pair scoring',
  labels: 'Labels',
  detect: 'Detection',
  segment: 'Segmentation',
  refine: 'Refine (Segment Anything)',
};

/** The registry model tasks (model-report.ts ModelTaskName) that can serve each slot. */
export const SLOT_MODEL_TASKS: Record<TaskSlot, readonly string[]> = {
  embed: ['clip'],
  pairscore: ['clip'],
  labels: ['clip'],
  // A dual encoder detects densely (patch similarity); OWL-ViT/OWLv2 give boxes, CLIPSeg masks.
  detect: ['clip', 'zero-shot-object-detection', 'image-segmentation'],
  segment: ['clip', 'image-segmentation'],
  refine: ['mask-generation'],
};

export function canServe(slot: TaskSlot, modelTask: string): boolean {
  return SLOT_MODEL_TASKS[slot].includes(modelTask);
}

/** Model-dependent defaults a registry entry (or a project override) provides. */
export const CALIBRATION_KEYS = ['pairThreshold', 'semanticCosine', 'semanticCandidate', 'labelThreshold', 'labelTemplates', 'logitScale', 'detectThreshold', 'maskMargin', 'reviewMinScore'] as const;
export type CalibrationKey = (typeof CALIBRATION_KEYS)[number];

export const CALIBRATION_LABELS: Record<CalibrationKey, string> = {
  pairThreshold: 'Pair score: keep items with image-caption cosine ≥',
  semanticCosine: 'Semantic dedup: cosine threshold (no pixel check)',
  semanticCandidate: 'Semantic dedup: candidate cosine (pixel-verified)',
  labelThreshold: 'Labels: top-1 probability below which an item is uncertain',
  labelTemplates: 'Labels: prompt templates ({} = class name)',
  logitScale: 'Logit scale (softmax temperature of cosine)',
  detectThreshold: 'Detection: score threshold',
  maskMargin: 'Dense masks: probability margin above the detection threshold',
  reviewMinScore: 'Review: proposals scoring below this stay out of the queue (labels model)',
};

export type CalibrationValue = number | string[];

/** Parses one override value given as text (CLI `--set key=value`, the Models view): numbers, or templates separated by '|'. */
export function parseCalibrationValue(key: CalibrationKey, text: string): unknown {
  if (key === 'labelTemplates') return text.split('|').map((t) => t.trim()).filter(Boolean);
  const n = Number(text);
  return text.trim() === '' || !Number.isFinite(n) ? text : n;
}
