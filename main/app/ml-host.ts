import path from 'node:path';
import { utilityProcess, type UtilityProcess } from 'electron';
import type { MediaKind } from '../api/contract';
import type { FromHost, ToHost } from './ml-protocol';

type Pending = { resolve(v: unknown): void; reject(e: Error): void };

/** The engine in a utility process, seen from Electron main as promises and an event callback. */
export class MlHost {
  private readonly child: UtilityProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  readonly ready: Promise<void>;

  constructor(projectDir: string | undefined, onEvent: (event: string, payload: unknown) => void) {
    this.child = utilityProcess.fork(path.join(__dirname, 'ml-host.cjs'), projectDir ? ['--project', projectDir] : [], { serviceName: 'Winnow ML host' });
    let markReady: () => void;
    this.ready = new Promise((r) => { markReady = r; });
    this.child.on('message', (msg: FromHost) => {
      if (msg.type === 'ready') markReady();
      else if (msg.type === 'event') onEvent(msg.event, msg.payload);
      else {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (!p) return;
        if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
        else p.resolve(msg.type === 'media' ? { body: msg.body, contentType: msg.contentType } : msg.result);
      }
    });
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`ML host exited (${code})`));
      this.pending.clear();
    });
  }

  call(method: string, input: unknown): Promise<unknown> {
    return this.send({ type: 'call', id: this.nextId++, method, input });
  }

  media(kind: MediaKind, itemId: number): Promise<{ body: Uint8Array; contentType: string }> {
    return this.send({ type: 'media', id: this.nextId++, kind, itemId }) as Promise<{ body: Uint8Array; contentType: string }>;
  }

  kill(): void {
    this.child.kill();
  }

  private send(msg: ToHost): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      this.child.postMessage(msg);
    });
  }
}
