import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { createDispatch, errorPayload } from '../api/handlers';
import type { Engine } from '../engine/engine';
import { APP_ROOT } from '../engine/paths';
import { hostAllowed, newToken, requestToken, TOKEN_COOKIE, tokenMatches } from './auth';
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

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!hostAllowed(req, port)) return send(res, 403, { error: { code: 'forbidden', message: 'bad Host header' } });
    if (!tokenMatches(token, requestToken(req, url))) return send(res, 401, { error: { code: 'unauthorized', message: 'missing or wrong token' } });

    if (url.pathname === '/api/health') return send(res, 200, { ok: true, version: opts.engine.info().version });

    if (url.pathname.startsWith('/api/call/')) {
      if (req.method !== 'POST') return send(res, 405, { error: { code: 'bad_input', message: 'use POST' } });
      let input: unknown;
      try {
        input = await readJson(req);
      } catch (err) {
        return send(res, 400, { error: { code: 'bad_input', message: (err as Error).message } });
      }
      try {
        return send(res, 200, { result: await dispatch(url.pathname.slice('/api/call/'.length), input) });
      } catch (err) {
        const e = errorPayload(err);
        return send(res, STATUS[e.code] ?? 500, { error: e });
      }
    }

    const media = /^\/media\/(thumb|image)\/(\d+)$/.exec(url.pathname);
    if (media) {
      try {
        const m = await opts.engine.getMedia(media[1] as 'thumb' | 'image', Number(media[2]));
        res.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'private, max-age=3600', 'x-content-type-options': 'nosniff' });
        return res.end(m.body);
      } catch (err) {
        const e = errorPayload(err);
        return send(res, e.code === 'bad_input' ? 422 : STATUS[e.code] ?? 500, { error: e });
      }
    }

    if (req.method !== 'GET') return send(res, 405, { error: { code: 'bad_input', message: 'method not allowed' } });
    if (!existsSync(path.join(staticDir, 'index.html'))) {
      return send(res, 503, { error: { code: 'internal', message: `renderer not built (${staticDir}); run npm run build:renderer` } });
    }
    const file = await readStatic(staticDir, url.pathname);
    if (!file) return send(res, 404, { error: { code: 'not_found', message: url.pathname } });
    const headers: Record<string, string> = { 'content-type': file.type, 'content-security-policy': csp(), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
    // The first page load carries ?token=; a strict same-site cookie then authenticates assets, media and the socket.
    if (url.searchParams.get('token')) headers['set-cookie'] = `${TOKEN_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`;
    res.writeHead(200, headers);
    res.end(file.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => send(res, 500, { error: errorPayload(err) }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (url.pathname !== '/api/events' || !hostAllowed(req, port) || !tokenMatches(token, requestToken(req, url))) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
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
