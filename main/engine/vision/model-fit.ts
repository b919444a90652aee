// Is this project's data the kind of image the model knows? A model with a closed domain (the built-in one
// knows only Winnow's synthetic shapes) ships a reference in its registry entry: its classes and the median
// top-1 zero-shot probability that in-domain data reaches. Real photographs through the built-in model sit far
// below it (measured 0.21 vs 0.64–0.99), so the curator is told before trusting labels, scores or boxes.
import type { ModelFitT } from '../../domain/model-fit';
import { readRows, requireSet } from '../curate/embedding-pages';
import { classEmbeddings, DEFAULT_TEMPLATES } from '../curate/zero-shot';
import type { Project } from '../project';
import type { ActiveModel } from './active-model';
import type { ModelManager } from './model-manager';

/** Enough for a stable median, read from the stored matrix (no image is decoded). */
const SAMPLE = 256;

export async function assessModelFit(project: Project, active: ActiveModel, models: ModelManager, modelId: string): Promise<ModelFitT> {
  const set = requireSet(project, modelId);
  const reference = (await models.registryEntry(modelId))?.fit;
  if (!reference) {
    return { model: modelId, verdict: 'not-assessed', sampled: 0, medianTop1: null, threshold: null, message: `${modelId} ships no in-domain reference, so Winnow cannot tell whether these images suit it` };
  }
  const rows = sampleRows(project, set.id);
  if (rows.length === 0) {
    return { model: modelId, verdict: 'not-assessed', sampled: 0, medianTop1: null, threshold: reference.minMedianTop1, message: `no images embedded with ${modelId} yet` };
  }
  const { model } = await active.get(modelId);
  const classes = reference.classes.map((name) => ({ name }));
  const prompts = await classEmbeddings((texts) => model.embedTexts(texts), set.dim, classes, DEFAULT_TEMPLATES);
  const images = readRows(project.embeddings.matrix(set, 'image'), rows);
  const top1 = Array.from({ length: rows.length }, (_, i) => topProbability(images.subarray(i * set.dim, (i + 1) * set.dim), prompts, classes.length, model.logitScale));
  const median = top1.sort((a, b) => a - b)[Math.floor((top1.length - 1) / 2)];
  const fits = median >= reference.minMedianTop1;
  const pct = (v: number) => `${Math.round(v * 100)}%`;
  return {
    model: modelId, verdict: fits ? 'fits' : 'outside', sampled: rows.length, medianTop1: median, threshold: reference.minMedianTop1,
    message: fits
      ? `these images look like what ${modelId} knows (median confidence ${pct(median)} over its ${classes.length} classes)`
      : `${modelId} knows only ${reference.domain}, and these images look different (median confidence ${pct(median)}; its own kind of data reaches ${pct(reference.minMedianTop1)} or more). Its labels, scores and boxes will not be trustworthy here: choose a real model (e.g. CLIP) in Models.`,
  };
}

/** Image rows spread evenly over the whole set (rows are dense from 0, one per embedded item). */
function sampleRows(project: Project, setId: number): number[] {
  const total = project.db.prepare('SELECT count(*) FROM embedding_rows WHERE set_id = ?').pluck().get(setId) as number;
  const step = Math.max(1, Math.floor(total / SAMPLE));
  return project.db.prepare('SELECT image_row FROM embedding_rows WHERE set_id = ? AND image_row % ? = 0 ORDER BY image_row LIMIT ?').pluck().all(setId, step, SAMPLE) as number[];
}

function topProbability(image: Float32Array, prompts: Float32Array, count: number, logitScale: number): number {
  const dim = image.length;
  const logits = new Float64Array(count);
  let max = -Infinity;
  for (let c = 0; c < count; c++) {
    let dot = 0;
    for (let i = 0; i < dim; i++) dot += image[i] * prompts[c * dim + i];
    logits[c] = logitScale * dot;
    if (logits[c] > max) max = logits[c];
  }
  let sum = 0;
  for (let c = 0; c < count; c++) sum += Math.exp(logits[c] - max);
  return 1 / sum;
}
