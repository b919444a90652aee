// How a CLI command reaches a project: as its owner (the engine in this process, with its API published so
// other processes attach here), or attached to the live owner's API. Every command then talks to the same
// contract through `client`, so the CLI, the app and the server share one front door.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApiClient, localClient } from '../api/client';
import { describeOwner, ProjectOwnedError } from '../api/contract';
import { Engine } from '../engine/engine';
import { readOwnerToken } from '../engine/ownership/project-lock';
import { SchemaOutdatedError } from '../engine/store/database';
import { ApiUnreachableError } from '../server/api-unreachable';
import type { RunningServer } from '../server/server';

/** How long a command waits for an owner that is starting up or closing before giving up. */
const ATTACH_WAIT_MS = 15_000;

export class ProjectSession {
  /** The contract for this project; calls made while the owner goes away reconnect (to a new owner, or as owner) and go again. */
  readonly client: ApiClient = {
    call: async (method, input) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await this.inner.call(method, input);
        } catch (err) {
          if (!(err instanceof ApiUnreachableError) || attempt >= 2) throw err;
          await this.reconnect();
        }
      }
    },
    on: (event, listener) => {
      // Subscriptions follow the session from one owner to the next.
      const entry = { event, listener: listener as (payload: unknown) => void, off: this.inner.on(event, listener) };
      this.subscriptions.add(entry);
      return () => {
        entry.off();
        this.subscriptions.delete(entry);
      };
    },
    ready: () => this.inner.ready(),
    close: () => this.inner.close(),
  };
  private inner!: ApiClient;
  private readonly subscriptions = new Set<{ event: Parameters<ApiClient['on']>[0]; listener: (payload: unknown) => void; off: () => void }>();
  /** The owner this session is attached to, or null while this process owns the project. */
  attachedTo: ProjectOwnedError['owner'] | null = null;
  private engine: Engine | null = null;
  private server: RunningServer | null = null;
  private readonly lostListeners = new Set<() => void>();

  private constructor(readonly dir: string, private readonly command: string) {}

  /**
   * `access: 'read-when-free'` (a command that only reads, e.g. search): while no live process owns the project
   * and its schema is current, it is opened read-only in this process, without taking the lock, recovering jobs
   * or serving an API (nothing to attach to: it writes nothing). A live owner is attached to as ever, and a
   * schema that needs migrating is opened as owner, which migrates it.
   */
  static async open(dir: string, command: string, { access = 'owner' }: { access?: 'owner' | 'read-when-free' } = {}): Promise<ProjectSession> {
    const session = new ProjectSession(dir, command);
    if (access !== 'read-when-free' || !(await session.openReadOnly())) await session.connect();
    return session;
  }

  /** True while this process owns the project (its jobs, its API); false attached or read-only. */
  get owned(): boolean {
    return this.engine?.project?.lock != null;
  }

  /** True when the project is open read-only in this process (no owner, nothing served). */
  get readOnly(): boolean {
    return this.engine?.project?.readOnly === true;
  }

  /** Fires when an attached session loses its owner (it closed or died); `reconnect` finds the new one. */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async reconnect(): Promise<void> {
    await this.inner.close();
    await this.connect();
    for (const s of this.subscriptions) s.off = this.inner.on(s.event, s.listener);
  }

  /**
   * An owner first serves what other processes queued on it, then closes its API and the project (its jobs
   * stay resumable); an attached session only disconnects, and the owner's jobs go on there.
   */
  async close(): Promise<void> {
    await this.inner.close();
    const engine = this.engine;
    if (!engine) return;
    engine.project?.lock?.withdrawApi();
    await engine.project?.jobs.idle();
    await this.server?.close();
    await engine.close();
  }

  /** True once Ctrl-C stopped the session: calls after that fail, and the command ends with 130. */
  aborted = false;

  /** Stops at once (Ctrl-C): an owner interrupts its jobs, resumable later; an attached session detaches. */
  async abort(): Promise<void> {
    this.aborted = true;
    await this.inner.close();
    await this.server?.close();
    await this.engine?.close();
  }

  private async openReadOnly(): Promise<boolean> {
    const engine = new Engine('cli', { command: `winnow ${this.command}` });
    try {
      // It starts no job (search.text starts the index job only as owner): the job modules stay unloaded.
      const project = await engine.openProject(this.dir, { access: 'read-only', resume: false, jobs: false });
      if (!project.liveOwner()) {
        this.engine = engine;
        this.inner = localClient(engine);
        return true;
      }
    } catch (err) {
      if (!(err instanceof SchemaOutdatedError)) {
        await engine.close();
        throw err;
      }
    }
    await engine.close();
    return false;
  }

  private async connect(): Promise<void> {
    const deadline = Date.now() + ATTACH_WAIT_MS;
    let last: ProjectOwnedError | null = null;
    while (Date.now() < deadline) {
      const engine = new Engine('cli', { command: `winnow ${this.command}` });
      try {
        await engine.openProject(this.dir, { resume: false });
      } catch (err) {
        await engine.close();
        if (!(err instanceof ProjectOwnedError)) throw err;
        last = err;
        if (await this.attach(err)) return;
        await sleep(200);
        continue;
      }
      this.engine = engine;
      this.attachedTo = null;
      const { startServer } = await import('../server/server');
      this.server = await startServer({ engine, staticDir: '/nonexistent-winnow-api-only' });
      engine.publishApi(`http://127.0.0.1:${this.server.port}`, this.server.token);
      this.inner = localClient(engine);
      return;
    }
    throw new Error(`${this.dir} is owned by ${last ? describeOwner(last.owner) : 'another process'}, whose API does not answer; wait for it to finish or stop it`);
  }

  private async attach(owned: ProjectOwnedError): Promise<boolean> {
    const { apiUrl } = owned.owner;
    const token = readOwnerToken(this.dir);
    if (!apiUrl || !token) return false;
    const { RemoteClient } = await import('../server/remote-client');
    const remote = new RemoteClient(apiUrl, token);
    try {
      const info = await remote.call('app.info', {});
      // The address may be stale (the owner died and the port went to someone else's Winnow).
      if (info.project?.dir !== this.dir) throw new ApiUnreachableError(`${apiUrl} serves another project`);
      await remote.ready();
    } catch (err) {
      await remote.close();
      if (err instanceof ApiUnreachableError) return false;
      throw err;
    }
    remote.onDisconnect(() => {
      for (const l of [...this.lostListeners]) l();
    });
    this.inner = remote;
    this.attachedTo = owned.owner;
    return true;
  }
}
