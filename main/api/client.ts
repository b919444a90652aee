// The contract as a client sees it, whatever carries the calls: in-process dispatch over an engine this
// process owns, or HTTP + WebSocket to the process that owns the project (main/server/remote-client.ts).
import type { Engine } from '../engine/engine';
import type { EventName, EventPayload, MethodInput, MethodName, MethodResult } from './contract';
import { createDispatch } from './handlers';

export interface ApiClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
  /** Resolves once events subscribed so far are delivered (a remote socket is open). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The contract dispatched in this process, events straight from the engine. */
export function localClient(engine: Engine): ApiClient {
  const dispatch = createDispatch(engine);
  return {
    call: async (method, input) => (await dispatch(method, input)) as MethodResult<typeof method>,
    on: (event, listener) => engine.events.on(event, listener),
    ready: async () => {},
    close: async () => {},
  };
}
