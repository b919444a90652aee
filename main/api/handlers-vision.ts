import type { Engine } from '../engine/engine';
import { DEFAULT_MODEL } from '../engine/vision/active-model';
import { assessModelFit } from '../engine/vision/model-fit';
import type { HandlersFor } from './handlers';
import type { visionMethods } from './methods/vision';

export function visionHandlers(engine: Engine): HandlersFor<keyof typeof visionMethods> {
  return {
    'vision.status': ({ model }) => engine.visionStatus(model),
    'embed.start': ({ model }) => ({ jobId: engine.embed(model) }),
    'models.fit': ({ model }) => assessModelFit(engine.requireProject(), engine.active, engine.models, model ?? DEFAULT_MODEL),
    'embeddings.list': () => engine.requireProject().embeddings.listSets().map(({ model, dim, modelHash, images, texts }) => ({ model, dim, modelHash, images, texts })),
  };
}
