// Issue 11 (Electron host): the restart policy, driven by a fake child process. Only the policy is tested this way; the real
// utility process is exercised by test/integration/ml-host-bundle.test.ts.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { FromHost, ToHost } from '../../../main/app/channels';
import { type HostChild, type HostStatus, HostSupervisor } from '../../../main/app/host-supervisor';

class FakeChild extends EventEmitter implements HostChild {
  sent: ToHost[] = [];
  killed = false;
  /** How this fake answers: echo calls, close cleanly on shutdown unless told to hang. */
  constructor(private readonly behaviour: { hangOnShutdown?: boolean } = {}) {
    super();
  }
  postMessage(message: ToHost): void {
    this.sent.push(message);
    if (message.type === 'call') queueMicrotask(() => this.emit('message', { type: 'result', id: message.id, result: `${message.method} done` } satisfies FromHost));
    if (message.type === 'shutdown' && !this.behaviour.hangOnShutdown) queueMicrotask(() => this.emit('exit', 0));
  }
  kill(): void {
    this.killed = true;
    queueMicrotask(() => this.emit('exit', 15));
  }
  ready(): void { this.emit('message', { type: 'ready' } satisfies FromHost); }
  crash(code = 139): void { this.emit('exit', code); }
}

function supervise(options: { readyTimeoutMs?: number; stopTimeoutMs?: number; hangOnShutdown?: boolean } = {}) {
  const children: FakeChild[] = [];
  const statuses: HostStatus[] = [];
  let clock = 0;
  const supervisor = new HostSupervisor({
    spawn: () => { const c = new FakeChild({ hangOnShutdown: options.hangOnShutdown }); children.push(c); return c; },
    onEvent: () => undefined,
    onStatus: (s) => statuses.push(s),
    readyTimeoutMs: options.readyTimeoutMs ?? 1000,
    stopTimeoutMs: options.stopTimeoutMs ?? 1000,
    maxRestarts: 2,
    restartWindowMs: 60_000,
    now: () => clock,
  });
  return { supervisor, children, statuses, advance: (ms: number) => { clock += ms; } };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('ML host supervision', () => {
  it('restarts a host that dies, reports the reason, and routes later calls to the new one', async () => {
    const { supervisor, children, statuses } = supervise();
    children[0].ready();
    await supervisor.ready;
    expect(await supervisor.call('app.info', {})).toBe('app.info done');
    children[0].postMessage = (m) => { children[0].sent.push(m); }; // this call never gets its answer: the host dies first
    const inFlight = supervisor.call('items.page', {});
    await tick();
    expect(children[0].sent.at(-1)).toMatchObject({ type: 'call', method: 'items.page' });
    children[0].crash(139);
    await expect(inFlight).rejects.toThrow(/exited with code 139/);
    expect(statuses.at(-1)).toEqual({ state: 'restarting', reason: 'the ML host exited with code 139', restarts: 1 });
    expect(children).toHaveLength(2);
    const waiting = supervisor.call('app.info', {});
    children[1].ready();
    expect(await waiting).toBe('app.info done');
  });

  it('gives up after repeated crashes instead of restarting forever', async () => {
    const { supervisor, children, statuses } = supervise();
    children[0].ready();
    await supervisor.ready;
    for (let i = 0; i < 3; i++) {
      children.at(-1)!.ready();
      children.at(-1)!.crash(1);
      await tick();
    }
    expect(statuses.at(-1)).toMatchObject({ state: 'failed', reason: expect.stringMatching(/3 crashes within 60 s; not restarting/) });
    await expect(supervisor.call('app.info', {})).rejects.toThrow(/not restarting/);
  });

  it('fails ready (error window) when the host dies before it is ready, with its own reason, and does not loop', async () => {
    const { supervisor, children, statuses } = supervise();
    children[0].emit('message', { type: 'fatal', message: 'cannot open /p: not a Winnow project' } satisfies FromHost);
    children[0].crash(1);
    await expect(supervisor.ready).rejects.toThrow('cannot open /p: not a Winnow project');
    expect(children).toHaveLength(1);
    expect(statuses).toEqual([{ state: 'failed', reason: 'cannot open /p: not a Winnow project' }]);
  });

  it('fails ready when the host never becomes ready, instead of hanging', async () => {
    const { supervisor, children } = supervise({ readyTimeoutMs: 20 });
    await expect(supervisor.ready).rejects.toThrow(/did not become ready within/);
    expect(children[0].killed).toBe(true);
  });

  it('on quit asks the host to close the engine, does not restart it, and kills one that hangs', async () => {
    const clean = supervise();
    clean.children[0].ready();
    await clean.supervisor.ready;
    await clean.supervisor.stop();
    expect(clean.children[0].sent.at(-1)).toEqual({ type: 'shutdown' });
    expect(clean.children[0].killed).toBe(false);
    expect(clean.children).toHaveLength(1);
    expect(clean.statuses.at(-1)).toEqual({ state: 'stopped' });
    const hung = supervise({ hangOnShutdown: true, stopTimeoutMs: 20 });
    hung.children[0].ready();
    await hung.supervisor.ready;
    await hung.supervisor.stop();
    expect(hung.children[0].killed).toBe(true);
    expect(hung.children).toHaveLength(1);
  });
});
