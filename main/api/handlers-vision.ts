import type { Engine } from '../engine/engine';
import type { HandlersFor } from './handlers';
import type { visionMethods } from './methods/vision';

export function visionHandlers(engine: Engine): HandlersFor<keyof typeof visionMethods> {
  return {
    'vision.status': ({ model }) => engine.visionStatus(model),
    'embed.start': ({ model }) => ({ jobId: engine.embed(model) }),
    'embeddings.list': () => engine.requireProject().embeddings.listSets().map(({ model, dim, modelHash, images, texts }) => ({ model, dim, modelHash, images, texts })),
  };
}
