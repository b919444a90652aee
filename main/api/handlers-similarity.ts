// Similarity methods → engine: semantic dedup job, text / image search, embedding map.
import type { ItemT } from './contract';
import { ApiError } from './contract';
import type { Engine } from '../engine/engine';
import { requireSet } from '../engine/curate/embedding-pages';
import { mapPoints } from '../engine/curate/embedding-map';
import { itemVector, searchVector } from '../engine/curate/search';
import { SEMDEDUP_JOB } from '../engine/curate/semantic-job';
import { Calibration, requireModelFor } from '../engine/vision/task-models';
import type { HandlersFor } from './handlers';
import type { similarityMethods } from './methods/similarity';

export function similarityHandlers(engine: Engine): HandlersFor<keyof typeof similarityMethods> {
  const project = () => engine.requireProject();
  const embedModel = (model: string | undefined) => requireModelFor(project(), 'embed', model);
  return {
    // The cosine threshold depends on the model: explicit, else the project's override, else the model's entry.
    'dedup.semantic.run': async ({ model, threshold, ...params }) => {
      const id = embedModel(model);
      const key = (params.verify ?? 'pixels') === 'pixels' ? 'semanticCandidate' : 'semanticCosine';
      const cal = await Calibration.load(engine.models, project(), id);
      const resolved = cal.require<number>(key, threshold);
      return { jobId: project().jobs.start(SEMDEDUP_JOB, { model: id, ...params, threshold: resolved, calibration: cal.provenance([key], { [key]: threshold }) }).id };
    },
    'search.text': async ({ query, k, model }) => {
      const set = requireSet(project(), embedModel(model));
      const { vectors, dim } = await engine.active.embedTexts(set.model, [query]);
      if (dim !== set.dim) throw new ApiError('conflict', `${set.model} now gives ${dim}-d embeddings, the stored ones are ${set.dim}-d: re-embed`);
      const vector = vectors.subarray(0, dim);
      return { model: set.model, ...searchVector(project(), set, vector, k) };
    },
    'search.similar': ({ itemId, k, model }) => {
      const p = project();
      const set = requireSet(p, embedModel(model));
      const vector = itemVector(p, set, itemId);
      if (!vector) throw new ApiError('not_found', `item ${itemId} has no image embedding for ${set.model}`);
      return { model: set.model, ...searchVector(p, set, vector, k, itemId) };
    },
    'search.items': ({ ids }) => {
      const items = project().items;
      return ids.map((id) => items.get(id)).filter((i): i is ItemT => i !== undefined);
    },
    'map.get': ({ model, colorBy }) => {
      const p = project();
      return mapPoints(p, requireSet(p, embedModel(model)), colorBy);
    },
  };
}
