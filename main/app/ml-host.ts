import path from 'node:path';
import { utilityProcess } from 'electron';
import type { MediaKind } from '../api/contract';
import type { HostChild, HostStatus } from './host-supervisor';
import { HostSupervisor } from './host-supervisor';

/** The engine in a utility process, seen from Electron main as promises and an event callback; restarted when it dies. */
export class MlHost {
  private readonly supervisor: HostSupervisor;
  readonly ready: Promise<void>;

  constructor(projectDir: string | undefined, onEvent: (event: string, payload: unknown) => void, onStatus: (status: HostStatus) => void) {
    this.supervisor = new HostSupervisor({
      spawn: () => utilityProcess.fork(path.join(__dirname, 'ml-host.cjs'), projectDir ? ['--project', projectDir] : [], { serviceName: 'Winnow ML host' }) as unknown as HostChild,
      onEvent,
      onStatus,
    });
    this.ready = this.supervisor.ready;
  }

  call(method: string, input: unknown): Promise<unknown> {
    return this.supervisor.call(method, input);
  }

  media(kind: MediaKind, itemId: number): Promise<{ body: Uint8Array; contentType: string }> {
    return this.supervisor.media(kind, itemId) as Promise<{ body: Uint8Array; contentType: string }>;
  }

  /** Closes the engine cleanly (jobs paused at their checkpoint, database closed), so the next start recovers nothing. */
  stop(): Promise<void> {
    return this.supervisor.stop();
  }
}
