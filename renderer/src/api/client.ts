import type { EventName, EventPayload, MediaKind, MethodInput, MethodName, MethodResult, WinnowApi } from '../../../main/api/contract';

/** What the Electron preload exposes as window.winnow. */
interface PreloadBridge {
  call(method: string, input: unknown): Promise<{ result?: unknown; error?: { code: string; message: string } }>;
  on(listener: (event: string, payload: unknown) => void): () => void;
}

export class ApiCallError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Listener = (payload: unknown) => void;

/** Whether the browser-mode socket to the engine is up (IPC is always up). */
export const connection = {
  listeners: new Set<(up: boolean) => void>(),
  set(up: boolean) {
    for (const l of this.listeners) l(up);
  },
  on(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  },
};

/** One client, two transports: Electron IPC through the preload, or HTTP + WebSocket in browser mode. */
abstract class BaseClient implements WinnowApi {
  protected readonly listeners = new Map<string, Set<Listener>>();

  abstract call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>>;
  abstract mediaUrl(kind: MediaKind, itemId: number): string;

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => set!.delete(listener as Listener);
  }

  protected dispatch(event: string, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }
}

class IpcClient extends BaseClient {
  constructor(private readonly bridge: PreloadBridge) {
    super();
    bridge.on((event, payload) => this.dispatch(event, payload));
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
    const res = await this.bridge.call(method, input);
    if (res.error) throw new ApiCallError(res.error.code, res.error.message);
    return res.result as MethodResult<M>;
  }

  mediaUrl(kind: MediaKind, itemId: number): string {
    return `winnow://media/${kind}/${itemId}`;
  }
}

class HttpClient extends BaseClient {
  private socket: WebSocket | null = null;
  private retry = 500;

  constructor(private readonly token: string) {
    super();
    this.connect();
  }

  async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodResult<M>> {
    const res = await fetch(`/api/call/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` },
      body: JSON.stringify(input ?? {}),
    });
    const body = (await res.json()) as { result?: unknown; error?: { code: string; message: string } };
    if (!res.ok || body.error) throw new ApiCallError(body.error?.code ?? 'internal', body.error?.message ?? `HTTP ${res.status}`);
    return body.result as MethodResult<M>;
  }

  mediaUrl(kind: MediaKind, itemId: number): string {
    // The token cookie set at page load authenticates media requests.
    return `/media/${kind}/${itemId}`;
  }

  private connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events?token=${encodeURIComponent(this.token)}`;
    const ws = new WebSocket(url);
    this.socket = ws;
    ws.onopen = () => {
      this.retry = 500;
      connection.set(true);
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { event: string; payload: unknown };
      this.dispatch(msg.event, msg.payload);
    };
    ws.onclose = () => {
      connection.set(false);
      setTimeout(() => this.connect(), this.retry);
      this.retry = Math.min(this.retry * 2, 8000);
    };
  }
}

function readToken(): string {
  const params = new URLSearchParams(location.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    sessionStorage.setItem('winnow-token', fromUrl);
    // Keep the token out of the address bar and history once the cookie is set.
    params.delete('token');
    history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
    return fromUrl;
  }
  return sessionStorage.getItem('winnow-token') ?? '';
}

export function createClient(): WinnowApi {
  const bridge = (window as unknown as { winnow?: PreloadBridge }).winnow;
  return bridge ? new IpcClient(bridge) : new HttpClient(readToken());
}

export const api = createClient();
