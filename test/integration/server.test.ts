import { readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Engine } from '../../main/engine/engine';
import type { RunningServer } from '../../main/server/server';
import { closeUi, serveStubProject } from '../fixtures/browser';
import { makeImageFolder, tempDir } from '../fixtures/images';

let engine: Engine;
let server: RunningServer;
let data: string;
const base = () => `http://127.0.0.1:${server.port}`;
const call = (method: string, input: unknown, token: string | null = server.token) =>
  fetch(`${base()}/api/call/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(input) });

beforeAll(async () => {
  const home = await tempDir();
  process.env.WINNOW_HOME = home;
  data = await tempDir();
  await makeImageFolder(data, { count: 6, width: 120, height: 90 });
  // A JPEG cut in half: its header reads fine at import, its pixels do not decode.
  const whole = readFileSync(path.join(data, 'img00001.jpg').replace('img00001', 'nested/img00001'));
  writeFileSync(path.join(data, 'truncated.jpg'), whole.subarray(0, Math.floor(whole.length / 2)));
  const outside = await tempDir();
  writeFileSync(path.join(outside, 'secret.txt'), 'not yours');
  ({ engine, server } = await serveStubProject(home));
});

afterAll(async () => {
  await closeUi({ server }, engine);
});

describe('HTTP + WebSocket transport', () => {
  it('answers /api/health only with the token, by query or bearer header; the cookie is for media only', async () => {
    expect((await fetch(`${base()}/api/health`)).status).toBe(401);
    expect((await fetch(`${base()}/api/health?token=wrong`)).status).toBe(401);
    expect((await fetch(`${base()}/api/health?token=${server.token}`)).status).toBe(200);
    expect((await fetch(`${base()}/api/health`, { headers: { authorization: `Bearer ${server.token}` } })).status).toBe(200);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const cookie = page.headers.get('set-cookie')!.split(';')[0];
    expect(page.headers.get('set-cookie')).toContain('Path=/media');
    expect((await fetch(`${base()}/api/health`, { headers: { cookie } })).status).toBe(401);
  });

  it('listens on 127.0.0.1 only and refuses foreign Host headers', async () => {
    expect(server.url.startsWith('http://127.0.0.1:')).toBe(true);
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: server.port, path: `/api/health?token=${server.token}`, headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(403);
  });

  it('validates every call against the contract', async () => {
    expect((await call('items.page', { offset: 0, limit: 10 }, null)).status).toBe(401);
    const bad = await call('items.page', { offset: -1, limit: 5000 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/offset/);
    expect((await call('no.such.method', {})).status).toBe(404);
    expect((await call('items.page', { offset: 0, limit: 1, extra: 1 })).status).toBe(400);
  });

  it('imports through the API, pushes progress over the socket, and serves media only for items', async () => {
    const unauth = new WebSocket(`ws://127.0.0.1:${server.port}/api/events`);
    await new Promise<void>((resolve) => unauth.once('error', () => resolve()));
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`);
    const events: { event: string; payload: { state?: string } }[] = [];
    ws.on('message', (m) => events.push(JSON.parse(String(m))));
    await new Promise((r) => ws.once('open', r));

    const added = (await (await call('sources.add', { path: data })).json()) as { result: { jobId: number } };
    const deadline = Date.now() + 30_000;
    while (!events.some((e) => e.event === 'job.progress' && e.payload.state === 'done') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(events.some((e) => e.event === 'items.changed')).toBe(true);
    expect(added.result.jobId).toBeGreaterThan(0);
    ws.close();

    const page = (await (await call('items.page', { offset: 0, limit: 100 })).json()) as { result: { id: number; key: string }[] };
    expect(page.result).toHaveLength(7);
    const good = page.result.find((i) => i.key !== 'truncated.jpg')!;
    const thumb = await fetch(`${base()}/media/thumb/${good.id}?token=${server.token}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const full = await fetch(`${base()}/media/image/${good.id}?token=${server.token}`);
    expect(full.headers.get('content-type')).toBe('image/jpeg');
    expect((await fetch(`${base()}/media/thumb/${good.id}`)).status).toBe(401);
    expect((await fetch(`${base()}/media/thumb/999999?token=${server.token}`)).status).toBe(404);
    expect(await (await fetch(`${base()}/media/../../etc/passwd?token=${server.token}`)).text()).not.toContain('root:');

    // A decode failure answers 422 and lands in the issues list once, however often it is requested.
    const truncated = page.result.find((i) => i.key === 'truncated.jpg')!;
    expect((await fetch(`${base()}/media/thumb/${truncated.id}?token=${server.token}`)).status).toBe(422);
    expect((await fetch(`${base()}/media/thumb/${truncated.id}?token=${server.token}`)).status).toBe(422);
    const detail = (await (await call('items.get', { id: truncated.id })).json()) as { result: { issues: { kind: string }[] } };
    expect(detail.result.issues.filter((i) => i.kind === 'decode_failed')).toHaveLength(1);
  });

  it('never imports or serves a file that a link inside the source points outside of', async () => {
    const { default: sharp } = await import('sharp');
    const outside = await tempDir();
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'red' } }).png().toFile(path.join(outside, 'private.png'));
    const linked = await tempDir();
    await sharp({ create: { width: 8, height: 8, channels: 3, background: 'blue' } }).png().toFile(path.join(linked, 'inside.png'));
    symlinkSync(path.join(linked, 'inside.png'), path.join(linked, 'alias.png'));
    symlinkSync(path.join(outside, 'private.png'), path.join(linked, 'escape.png'));
    const added = (await (await call('sources.add', { path: linked })).json()) as { result: { source: { id: number } } };
    await engine.requireProject().jobs.idle();
    const sourceId = added.result.source.id;
    const items = (await (await call('items.page', { offset: 0, limit: 10, sourceId })).json()) as { result: { id: number; key: string }[] };
    expect(items.result.map((i) => i.key).sort()).toEqual(['alias.png', 'inside.png']);
    const issues = (await (await call('issues.list', { sourceId })).json()) as { result: { issues: { kind: string; location: string }[] } };
    expect(issues.result.issues).toEqual([expect.objectContaining({ kind: 'outside_source', location: 'escape.png' })]);
    // A link re-pointed outside after import is refused at serve time too.
    const alias = items.result.find((i) => i.key === 'alias.png')!;
    expect((await fetch(`${base()}/media/image/${alias.id}?token=${server.token}`)).status).toBe(200);
    unlinkSync(path.join(linked, 'alias.png'));
    symlinkSync(path.join(outside, 'private.png'), path.join(linked, 'alias.png'));
    expect((await fetch(`${base()}/media/image/${alias.id}?token=${server.token}`)).status).toBe(404);
  });
});
