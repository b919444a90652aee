// The contract over another process's API: HTTP for calls, its WebSocket for events (Bearer token on both).
import WebSocket from 'ws';
import type { ApiClient } from '../api/client';
import { ApiError, type EventName, type EventPayload, type MethodInput, type MethodName, type MethodResult } from '../api/contract';

import { ApiUnreachableError } from './api-unreachable';

export { ApiUnreachableError };

type Listener = (payload: unknown) => void;

export class RemoteClient implements ApiClient {
  private readonly listeners = new Map<string, Set<Listener>>();
  private socket: WebSocket | null = null;
  private opened: Promise<void> | null = null;
  private readonly disconnectListeners = new Set<() => void>();

  constructor(private readonly baseUrl: string, private readonly token: string) {}

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}/api/call/${method}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
        body: JSON.stringify(input ?? {}),
      });
    } catch (err) {
      throw new ApiUnreachableError(`${this.baseUrl} did not answer ${method}: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { result?: unknown; error?: { code: string; message: string } };
    if (body.error) throw new ApiError((body.error.code as ApiError['code']) ?? 'internal', body.error.message);
    if (!res.ok) throw new ApiUnreachableError(`${this.baseUrl} answered ${res.status} to ${method}`);
    return body.result as MethodResult<M>;
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    void this.connect().catch(() => {});
    return () => set!.delete(listener as Listener);
  }

  /** Called once when the event socket closes or cannot open. */
  onDisconnect(listener: () => void): () => void {
    this.disconnectListeners.add(listener);
    return () => this.disconnectListeners.delete(listener);
  }

  ready(): Promise<void> {
    return this.connect();
  }

  async close(): Promise<void> {
    this.disconnectListeners.clear();
    this.socket?.terminate();
    this.socket = null;
  }

  private connect(): Promise<void> {
    if (this.opened) return this.opened;
    const ws = new WebSocket(`${this.baseUrl.replace(/^http/, 'ws')}/api/events`, { headers: { authorization: `Bearer ${this.token}` } });
    this.socket = ws;
    this.opened = new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) => reject(new ApiUnreachableError(`${this.baseUrl} event stream: ${err.message}`)));
    });
    ws.on('message', (data) => {
      const { event, payload } = JSON.parse(String(data)) as { event: string; payload: unknown };
      for (const l of this.listeners.get(event) ?? []) l(payload);
    });
    ws.once('close', () => {
      for (const l of [...this.disconnectListeners]) l();
    });
    ws.on('error', () => {});
    return this.opened;
  }
}
