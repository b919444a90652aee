// Saved views → the project's saved_views table; every change is announced so open windows list it.
import type { Engine } from '../engine/engine';
import { SavedViewStore } from '../engine/store/saved-views';
import type { HandlersFor } from './handlers';
import type { viewMethods } from './methods/views';

export function viewHandlers(engine: Engine): HandlersFor<keyof typeof viewMethods> {
  const store = () => new SavedViewStore(engine.requireProject().db);
  const changed = <T extends { name: string } | { deleted: string }>(result: T): T => {
    engine.requireProject().announce('views.changed', { name: 'name' in result ? result.name : result.deleted });
    return result;
  };
  return {
    'views.list': () => store().list(),
    'views.get': ({ name }) => store().get(name),
    'views.save': ({ name, state }) => changed(store().save(name, state)),
    'views.rename': ({ name, to }) => changed(store().rename(name, to)),
    'views.delete': ({ name }) => {
      store().delete(name);
      return changed({ deleted: name });
    },
  };
}
