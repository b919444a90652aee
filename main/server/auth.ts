import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Cookies are not scoped by port, so the name carries it: two Winnow servers (or a server that restarted on another port)
 * never read each other's cookie. The cookie itself is only sent to /media (Path) and only accepted there.
 */
export function tokenCookieName(port: number): string {
  return `winnow_token_${port}`;
}

/** `decodeURIComponent` that treats a malformed escape as "no value" instead of throwing. */
export function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export function bearerToken(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7).trim() || null : null;
}

/** `?token=`: the first page load and the WebSocket (browsers cannot set headers on a socket). */
export function queryToken(url: URL): string | null {
  return url.searchParams.get('token');
}

export function cookieToken(req: IncomingMessage, port: number): string | null {
  const prefix = `${tokenCookieName(port)}=`;
  const cookie = req.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(prefix));
  return cookie ? safeDecode(cookie.slice(prefix.length)) : null;
}

export function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Refuses requests whose Host is not this loopback server (DNS rebinding). */
export function hostAllowed(req: IncomingMessage, port: number): boolean {
  const host = req.headers.host;
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/**
 * A browser always sends Origin on POST and on a WebSocket upgrade; a page on another port of 127.0.0.1 is same-site but not
 * same-origin, so it is refused here. Requests without Origin come from non-browser clients (the CLI, tests), which must still
 * present the token.
 */
export function originAllowed(req: IncomingMessage, port: number): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/** Media may be fetched by our own page (or typed into the address bar), never embedded by another site's page. */
export function fetchSiteAllowed(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Only `application/json` bodies: a cross-site form or `text/plain` fetch cannot reach a method without a CORS preflight. */
export function isJsonRequest(req: IncomingMessage): boolean {
  const type = req.headers['content-type']?.split(';')[0].trim().toLowerCase();
  return type === 'application/json';
}

const ABSOLUTE_PATH = /(?<![\w:/.\\])(?:[A-Za-z]:\\|\\\\|\/)(?:[^\s'"`:;,()<>[\]{}]+[/\\])+([^\s'"`:;,()<>[\]{}/\\]*)/g;

/** Error text for the browser: absolute paths shortened to their last part, so a page learns no home folder or layout. */
export function redactPaths(message: string): string {
  return message.replace(ABSOLUTE_PATH, (_match, base: string) => `…/${base}`);
}
