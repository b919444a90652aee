// Project switching and path methods → engine (main/engine/fs-browse.ts).
import type { Engine } from '../engine/engine';
import { listDir, resolveTyped } from '../engine/fs-browse';
import type { HandlersFor } from './handlers';
import type { projectMethods } from './methods/projects';

export function projectHandlers(engine: Engine): HandlersFor<keyof typeof projectMethods> {
  return {
    'project.close': async () => {
      const closed = engine.project !== null;
      await engine.closeProject();
      engine.events.emit('project.changed', null);
      return { closed };
    },
    'fs.list': ({ dir, files, hidden }) => listDir(dir, { files, hidden }),
    'fs.resolve': ({ path }) => resolveTyped(path),
  };
}
