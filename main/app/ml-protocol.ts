// Messages between Electron main and the ML host utility process (which runs the engine).
import type { MediaKind } from '../api/contract';

export type ToHost =
  | { type: 'call'; id: number; method: string; input: unknown }
  | { type: 'media'; id: number; kind: MediaKind; itemId: number };

export type FromHost =
  | { type: 'result'; id: number; result?: unknown; error?: { code: string; message: string } }
  | { type: 'media'; id: number; body?: Uint8Array; contentType?: string; error?: { code: string; message: string } }
  | { type: 'event'; event: string; payload: unknown }
  | { type: 'ready' };
