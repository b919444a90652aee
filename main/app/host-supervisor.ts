// Keeps the ML host (the engine in a utility process) alive: waits for it to be ready, restarts it when it dies with the reason
// reported, gives up after repeated crashes, and shuts it down cleanly on quit. No electron import: the process is injected.
import type { FromHost, ToHost } from './channels';

/** What the supervisor needs of a child process (Electron's UtilityProcess has this shape). */
export interface HostChild {
  on(event: 'message', listener: (message: FromHost) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  postMessage(message: ToHost): void;
  kill(): unknown;
}

export type HostStatus =
  | { state: 'ready'; restarts: number }
  | { state: 'restarting'; reason: string; restarts: number }
  | { state: 'failed'; reason: string }
  | { state: 'stopped' };

export interface SupervisorOptions {
  spawn(): HostChild;
  onEvent(event: string, payload: unknown): void;
  onStatus?(status: HostStatus): void;
  /** A host that is not ready by then counts as failed to start (default 60 s). */
  readyTimeoutMs?: number;
  /** More crashes than this within restartWindowMs and the supervisor gives up (default 3 in 60 s). */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** How long a clean shutdown may take before the host is killed (default 10 s). */
  stopTimeoutMs?: number;
  now?(): number;
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

export class HostSupervisor {
  private child: HostChild | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashes: number[] = [];
  private restarts = 0;
  private stopping = false;
  private failed: string | null = null;
  private everReady = false;
  private current!: { promise: Promise<void>; resolve(): void; reject(e: Error): void };
  /** Resolves when the host is first ready; rejects when it dies or times out before that (main shows an error window). */
  readonly ready: Promise<void>;

  constructor(private readonly options: SupervisorOptions) {
    this.ready = this.spawnHost();
    this.ready.catch(() => undefined);
  }

  call(method: string, input: unknown): Promise<unknown> {
    return this.send({ type: 'call', id: this.nextId++, method, input });
  }

  media(kind: 'thumb' | 'image', itemId: number): Promise<unknown> {
    return this.send({ type: 'media', id: this.nextId++, kind, itemId });
  }

  /** Asks the host to close the engine and exit; kills it if it does not within stopTimeoutMs. No restart follows. */
  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => { child.kill(); resolve(); }, this.options.stopTimeoutMs ?? 10_000);
      child.on('exit', () => { clearTimeout(timer); resolve(); });
      child.postMessage({ type: 'shutdown' });
    });
    this.options.onStatus?.({ state: 'stopped' });
  }

  private spawnHost(): Promise<void> {
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    promise.catch(() => undefined);
    this.current = { promise, resolve, reject };
    const child = this.options.spawn();
    this.child = child;
    let fatal: string | null = null;
    let ready = false;
    const timer = setTimeout(() => {
      fatal = `the ML host did not become ready within ${Math.round((this.options.readyTimeoutMs ?? 60_000) / 1000)} s`;
      child.kill();
    }, this.options.readyTimeoutMs ?? 60_000);
    child.on('message', (msg) => {
      if (msg.type === 'ready') {
        clearTimeout(timer);
        ready = true;
        this.everReady = true;
        resolve();
        this.options.onStatus?.({ state: 'ready', restarts: this.restarts });
      } else if (msg.type === 'fatal') fatal = msg.message;
      else if (msg.type === 'event') this.options.onEvent(msg.event, msg.payload);
      else this.settle(msg);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (this.child !== child) return;
      this.child = null;
      const reason = fatal ?? `the ML host exited with code ${code}`;
      for (const p of this.pending.values()) p.reject(new Error(reason));
      this.pending.clear();
      if (this.stopping) return;
      if (!ready) reject(new Error(reason));
      this.onCrash(reason, ready);
    });
    return promise;
  }

  private onCrash(reason: string, wasReady: boolean): void {
    const now = this.options.now?.() ?? Date.now();
    const window = this.options.restartWindowMs ?? 60_000;
    this.crashes = [...this.crashes.filter((t) => now - t < window), now];
    // A host that never got ready (bad project, missing native module) would fail the same way again: no restart loop.
    if (!wasReady || !this.everReady || this.crashes.length > (this.options.maxRestarts ?? 3)) {
      this.failed = wasReady ? `${reason} (${this.crashes.length} crashes within ${Math.round(window / 1000)} s; not restarting)` : reason;
      this.current.reject(new Error(this.failed));
      this.options.onStatus?.({ state: 'failed', reason: this.failed });
      return;
    }
    this.restarts++;
    this.options.onStatus?.({ state: 'restarting', reason, restarts: this.restarts });
    void this.spawnHost();
  }

  private settle(msg: Extract<FromHost, { id: number }>): void {
    const p = this.pending.get(msg.id);
    this.pending.delete(msg.id);
    if (!p) return;
    if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
    else p.resolve(msg.type === 'media' ? { body: msg.body, contentType: msg.contentType } : msg.result);
  }

  private async send(msg: Extract<ToHost, { id: number }>): Promise<unknown> {
    if (this.failed) throw new Error(this.failed);
    if (this.stopping) throw new Error('Winnow is quitting');
    // Calls made while the host restarts wait for the new one (and for a newer one, if it restarted again meanwhile).
    for (let waited = this.current; ; waited = this.current) {
      await waited.promise;
      if (this.current === waited) break;
    }
    const child = this.child;
    if (!child) throw new Error(this.failed ?? 'the ML host is not running');
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      child.postMessage(msg);
    });
  }
}
