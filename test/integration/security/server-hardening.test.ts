// Issue 13 items 1, 2 and 7 (server side): another page on 127.0.0.1 cannot call the API, no request crashes the server.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Engine } from '../../../main/engine/engine';
import type { RunningServer } from '../../../main/server/server';
import { closeUi, serveStubProject } from '../../fixtures/browser';
import { tempDir } from '../../fixtures/images';

let engine: Engine;
let server: RunningServer;
let home: string;
const base = () => `http://127.0.0.1:${server.port}`;
const ownOrigin = () => `http://127.0.0.1:${server.port}`;

/** One raw HTTP exchange over a socket, so malformed requests reach the server exactly as written. */
function raw(request: Buffer | string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => { socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); };
    socket.setTimeout(timeoutMs, done);
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => socket.end(request));
  });
}

beforeAll(async () => {
  home = await tempDir();
  process.env.WINNOW_HOME = home;
  ({ engine, server } = await serveStubProject(home));
});

afterAll(async () => {
  await closeUi({ server }, engine);
});

describe('cross-site requests from another 127.0.0.1 port', () => {
  it('refuses API calls that carry only the cookie, a text/plain body, or a foreign Origin', async () => {
    const page = await fetch(server.url);
    const setCookie = page.headers.get('set-cookie')!;
    expect(setCookie).toMatch(new RegExp(`^winnow_token_${server.port}=`));
    expect(setCookie).toContain('Path=/media');
    const cookie = setCookie.split(';')[0];
    // What a page on http://127.0.0.1:<other port> can send: the same-site cookie, no custom header, a simple content type.
    const byCookie = await fetch(`${base()}/api/call/app.info`, { method: 'POST', headers: { cookie, 'content-type': 'text/plain' }, body: '{}' });
    expect(byCookie.status).toBe(401);
    const textPlain = await fetch(`${base()}/api/call/app.info`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'text/plain' }, body: '{}' });
    expect(textPlain.status).toBe(415);
    const foreign = await fetch(`${base()}/api/call/app.info`, {
      method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', origin: 'http://127.0.0.1:1' }, body: '{}',
    });
    expect(foreign.status).toBe(403);
    const own = await fetch(`${base()}/api/call/app.info`, {
      method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', origin: ownOrigin() }, body: '{}',
    });
    expect(own.status).toBe(200);
  });

  it('refuses a WebSocket upgrade from a foreign Origin or with only the cookie', async () => {
    const cookie = (await fetch(server.url)).headers.get('set-cookie')!.split(';')[0];
    const outcome = (ws: WebSocket) => new Promise<'open' | 'refused'>((resolve) => {
      ws.once('open', () => { ws.close(); resolve('open'); });
      ws.once('error', () => resolve('refused'));
    });
    expect(await outcome(new WebSocket(`ws://127.0.0.1:${server.port}/api/events`, { headers: { cookie } }))).toBe('refused');
    expect(await outcome(new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { origin: 'http://127.0.0.1:1' }))).toBe('refused');
    expect(await outcome(new WebSocket(`ws://127.0.0.1:${server.port}/api/events?token=${server.token}`, { origin: ownOrigin() }))).toBe('open');
  });

  it('accepts the cookie for media GETs from our own page only', async () => {
    const cookie = (await fetch(server.url)).headers.get('set-cookie')!.split(';')[0];
    // No item 1 exists: 404 means the cookie authenticated; 401 means it did not.
    expect((await fetch(`${base()}/media/thumb/1`, { headers: { cookie } })).status).toBe(404);
    expect((await fetch(`${base()}/media/thumb/1`, { headers: { cookie, 'sec-fetch-site': 'same-site' } })).status).toBe(401);
    expect((await fetch(`${base()}/media/thumb/1`, { headers: { cookie: `winnow_token_1=${server.token}` } })).status).toBe(401);
  });
});

describe('no request crashes the server', () => {
  it('treats a cookie with a malformed percent sequence as no token (WebSocket upgrade and media)', async () => {
    const name = `winnow_token_${server.port}`;
    const upgrade = await raw(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`
      + `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nCookie: ${name}=%E0%A4%A; winnow_token=%\r\n\r\n`);
    expect(upgrade).toMatch(/^HTTP\/1\.1 401/);
    const media = await raw(`GET /media/thumb/1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nCookie: ${name}=%%%\r\nConnection: close\r\n\r\n`);
    expect(media).toMatch(/^HTTP\/1\.1 401/);
    expect((await fetch(`${base()}/api/health?token=${server.token}`)).status).toBe(200);
  });

  it('answers 400 to a malformed % in a static path, and no error message carries an absolute path', async () => {
    const res = await fetch(`${base()}/assets/%E0%A4%A.js`);
    expect(res.status).toBe(400);
    const call = await fetch(`${base()}/api/call/sources.add`, {
      method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ path: path.join(home, 'no', 'such', 'folder') }),
    });
    expect(call.status).toBeGreaterThanOrEqual(400);
    const text = await call.text();
    expect(text).not.toContain(home);
    expect(text).toContain('folder');
  });

  it('survives a bounded fuzz of headers, cookies, paths and bodies', async () => {
    // Deterministic generator so a failure reproduces; 240 requests, a few seconds.
    let seed = 0x5eed;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
    const junk = (n: number) => Buffer.from(Array.from({ length: n }, () => rand(256)));
    const pick = <T>(xs: T[]) => xs[rand(xs.length)];
    const paths = ['/', '/api/call/items.page', '/api/call/%', '/api/events', '/media/thumb/1', '/media/image/%ZZ', '/%00', '/..%2f..%2fetc%2fpasswd', `/${'a'.repeat(5000)}`, '/assets/%C0%AE%C0%AE/x'];
    const cookies = ['%', '%E0%A4%A', `winnow_token_${server.port}=%`, `winnow_token_${server.port}=${'%'.repeat(100)}`, ';;;=', ''];
    const bodies = ['', '{', '[]', 'null', '{"offset":-1}', '"\\ud800"', '{"a":'.repeat(2000), junk(64).toString('latin1')];
    for (let i = 0; i < 240; i++) {
      const method = pick(['GET', 'POST', 'PUT', 'OPTIONS', 'G\u0001T']);
      const body = pick(bodies);
      const headers = [
        `Host: ${pick([`127.0.0.1:${server.port}`, 'evil.example', '', '%'])}`,
        `Cookie: ${pick(cookies)}`,
        `Authorization: ${pick([`Bearer ${server.token}`, 'Bearer %', 'Bearer', 'Basic Og=='])}`,
        `Content-Type: ${pick(['application/json', 'text/plain', 'application/json; charset=%', ''])}`,
        `Origin: ${pick([ownOrigin(), 'null', 'http://127.0.0.1:1', '%'])}`,
        ...(rand(4) === 0 ? [`X-Junk: ${junk(40).toString('latin1').replace(/[\r\n]/g, '')}`] : []),
        ...(rand(6) === 0 ? ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`] : []),
        `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
        'Connection: close',
      ];
      const request = rand(10) === 0 ? junk(200) : Buffer.from(`${method} ${pick(paths)} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n${body}`, 'latin1');
      const answer = await raw(request, 1000);
      expect(answer === '' || /^HTTP\/1\.1 \d{3}/.test(answer)).toBe(true);
    }
    expect((await fetch(`${base()}/api/health?token=${server.token}`)).status).toBe(200);
  });
});
