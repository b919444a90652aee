import type { Engine } from '../engine/engine';
import { assessModelFit } from '../engine/vision/model-fit';
import { requireModelFor } from '../engine/vision/task-models';
import type { HandlersFor } from './handlers';
import type { visionMethods } from './methods/vision';

export function visionHandlers(engine: Engine): HandlersFor<keyof typeof visionMethods> {
  return {
    // Without a model: the project's embedding model (the built-in one when no project is open).
    'vision.status': ({ model }) => engine.visionStatus(requireModelFor(engine.project, 'embed', model)),
    'embed.start': ({ model }) => ({ jobId: engine.embed(requireModelFor(engine.requireProject(), 'embed', model)) }),
    'models.fit': ({ model }) => assessModelFit(engine.requireProject(), engine.active, engine.models, requireModelFor(engine.requireProject(), 'embed', model)),
    'embeddings.list': () => engine.requireProject().embeddings.listSets().map(({ model, dim, modelHash, images, texts }) => ({ model, dim, modelHash, images, texts })),
  };
}
