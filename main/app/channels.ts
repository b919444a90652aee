// The one definition of the names main, preload and the ML host use to talk: IPC channels and host message types.
import type { MediaKind } from '../api/contract';

export const IPC_CHANNELS = {
  /** renderer → main (invoke): a contract call. */
  call: 'winnow:call',
  /** main → renderer: a contract event, or the host's status (`host.status`). */
  event: 'winnow:event',
  /** renderer → main (invoke): the native folder / file picker (dialog-ipc.ts). */
  pickPath: 'winnow:pick-path',
} as const;

/** Event name main broadcasts when the ML host restarts or fails, with the reason. */
export const HOST_STATUS_EVENT = 'host.status';

export type ToHost =
  | { type: 'call'; id: number; method: string; input: unknown }
  | { type: 'media'; id: number; kind: MediaKind; itemId: number }
  /** Close the engine (jobs checkpointed and marked paused, database closed) and exit 0. */
  | { type: 'shutdown' };

export type FromHost =
  | { type: 'result'; id: number; result?: unknown; error?: { code: string; message: string } }
  | { type: 'media'; id: number; body?: Uint8Array; contentType?: string; error?: { code: string; message: string } }
  | { type: 'event'; event: string; payload: unknown }
  | { type: 'ready' }
  /** The host cannot start (e.g. the project failed to open); sent before it exits. */
  | { type: 'fatal'; message: string };
