import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { createDispatch, errorPayload } from '../api/handlers';
import type { Engine } from '../engine/engine';
import { APP_ROOT } from '../engine/paths';
import {
  bearerToken, cookieToken, fetchSiteAllowed, hostAllowed, isJsonRequest, newToken, originAllowed, queryToken, redactPaths, tokenCookieName, tokenMatches,
} from './auth';
import { readStatic } from './static';

export interface ServerOptions {
  engine: Engine;
  port?: number;
  token?: string;
  /** Folder with the built renderer (index.html). */
  staticDir?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const STATUS: Record<string, number> = { bad_input: 400, not_found: 404, no_project: 409, conflict: 409, internal: 500 };

export function defaultStaticDir(): string {
  return path.join(APP_ROOT, 'dist', 'renderer');
}

/** The contract over HTTP (POST /api/call/<method>) and WebSocket (/api/events), on 127.0.0.1 only, token on every request. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const token = opts.token ?? newToken();
  const staticDir = opts.staticDir ?? defaultStaticDir();
  const dispatch = createDispatch(opts.engine);
  let port = 0;

  const csp = () => [
    "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data: blob:",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`, "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
  ].join('; ');

  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const fail = (res: ServerResponse, status: number, code: string, message: string) => send(res, status, { error: { code, message: redactPaths(message) } });
  const authorized = (...given: (string | null)[]) => given.some((t) => tokenMatches(token, t));

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostAllowed(req, port)) return fail(res, 403, 'forbidden', 'bad Host header');

    if (url.pathname === '/api/health') {
      if (!authorized(bearerToken(req), queryToken(url))) return fail(res, 401, 'unauthorized', 'missing or wrong token');
      return send(res, 200, { ok: true, version: opts.engine.info().version });
    }

    if (url.pathname.startsWith('/api/call/')) {
      // Only the Bearer header: a cookie would ride along on a request made by another page on any 127.0.0.1 port.
      if (req.method !== 'POST') return fail(res, 405, 'bad_input', 'use POST');
      if (!originAllowed(req, port)) return fail(res, 403, 'forbidden', 'cross-origin request refused');
      if (!authorized(bearerToken(req))) return fail(res, 401, 'unauthorized', 'missing or wrong Authorization: Bearer token');
      if (!isJsonRequest(req)) return fail(res, 415, 'bad_input', 'content-type must be application/json');
      let input: unknown;
      try {
        input = await readJson(req);
      } catch (err) {
        return fail(res, 400, 'bad_input', (err as Error).message);
      }
      try {
        return send(res, 200, { result: await dispatch(url.pathname.slice('/api/call/'.length), input) });
      } catch (err) {
        const e = errorPayload(err);
        return fail(res, STATUS[e.code] ?? 500, e.code, e.message);
      }
    }

    if (req.method !== 'GET') return fail(res, 405, 'bad_input', 'method not allowed');

    const media = /^\/media\/(thumb|image)\/(\d+)$/.exec(url.pathname);
    if (media) {
      // <img> cannot send a header, so media alone accepts the port-named cookie, and only for our own page's requests.
      if (!fetchSiteAllowed(req) || !authorized(bearerToken(req), queryToken(url), cookieToken(req, port))) return fail(res, 401, 'unauthorized', 'missing or wrong token');
      try {
        const m = await opts.engine.getMedia(media[1] as 'thumb' | 'image', Number(media[2]));
        res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'private, max-age=3600', 'x-content-type-options': 'nosniff' });
        return res.end(m.body);
      } catch (err) {
        const e = errorPayload(err);
        return fail(res, e.code === 'bad_input' ? 422 : STATUS[e.code] ?? 500, e.code, e.message);
      }
    }
    if (url.pathname.startsWith('/media/') || url.pathname.startsWith('/api/')) return fail(res, 404, 'not_found', 'no such route');

    // The renderer's files are public build output; everything they do goes through the token-checked routes above.
    if (!existsSync(path.join(staticDir, 'index.html'))) {
      return fail(res, 503, 'internal', `renderer not built (${staticDir}); run npm run build:renderer`);
    }
    const file = await readStatic(staticDir, url.pathname);
    if (file === 'bad_path') return fail(res, 400, 'bad_input', 'malformed path');
    if (!file) return fail(res, 404, 'not_found', 'no such file');
    const headers: Record<string, string> = { 'content-type': file.type, 'content-security-policy': csp(), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    // The first page load carries ?token=; a strict same-site cookie, sent only to /media, then authenticates <img> requests.
    if (tokenMatches(token, queryToken(url))) headers['set-cookie'] = `${tokenCookieName(port)}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/media`;
    res.writeHead(200, headers);
    res.end(file.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (res.headersSent) return res.destroy();
      fail(res, 500, 'internal', errorPayload(err).message);
    });
  });
  // Malformed HTTP (bad header bytes, oversized headers) gets a 400 and a closed socket, never an exception.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  wss.on('connection', (ws) => ws.on('error', () => ws.terminate()));
  wss.on('error', () => undefined);
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    let ok = false;
    try {
      const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
      ok = url.pathname === '/api/events' && hostAllowed(req, port) && originAllowed(req, port) && authorized(bearerToken(req), queryToken(url));
    } catch {
      ok = false;
    }
    if (!ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const unsubscribe = opts.engine.events.onAny((event, payload) => {
    const message = JSON.stringify({ event, payload });
    for (const client of wss.clients) if (client.readyState === client.OPEN) client.send(message);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as { port: number }).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: async () => {
      unsubscribe();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text.trim() === '' ? {} : JSON.parse(text));
      } catch {
        reject(new Error('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}
