import path from 'node:path';
import { net, protocol } from 'electron';
import { pathToFileURL } from 'node:url';
import type { MlHost } from './ml-host';
import { RENDERER_CSP } from './security-policy';

export const SCHEME = 'winnow';

/** Must run before app 'ready': lets winnow:// behave like https (fetch, CSP 'self', secure context). */
export function registerScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}


/** winnow://app/* is the built renderer; winnow://media/{thumb|image}/<id> is item media from the ML host. */
export function handleProtocol(host: MlHost, rendererDir: string): void {
  protocol.handle(SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host === 'media') {
      const m = /^\/(thumb|image)\/(\d+)$/.exec(url.pathname);
      if (!m) return new Response('not found', { status: 404 });
      try {
        const media = await host.media(m[1] as 'thumb' | 'image', Number(m[2]));
        return new Response(Buffer.from(media.body), { headers: { 'content-type': media.contentType, 'x-content-type-options': 'nosniff' } });
      } catch {
        return new Response('not found', { status: 404 });
      }
    }
    if (url.host !== 'app') return new Response('not found', { status: 404 });
    let decoded: string;
    try {
      decoded = decodeURIComponent(url.pathname);
    } catch {
      return new Response('bad path', { status: 400 });
    }
    const file = path.join(rendererDir, path.normalize(decoded).replace(/^([/\\])+/, '') || 'index.html');
    if (!file.startsWith(rendererDir + path.sep)) return new Response('forbidden', { status: 403 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', RENDERER_CSP);
    return new Response(res.body, { status: res.status, headers });
  });
}
