import { open, rename, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { dispatcherFor } from './proxy';
import { sha256File, sha256FromEtag } from './sha256';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

type Env = Record<string, string | undefined>;

/** `<endpoint>/<repo>/resolve/<revision>/<file>`, the hub's raw-file layout (mirrors use it too). */
export function hubFileUrl(repo: string, revision: string, file: string, env: Env = process.env, endpoint?: string): string {
  const base = (endpoint ?? env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, '');
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${encodedFile}`;
}

export interface DownloadProgress {
  file: string;
  /** Bytes of this file on disk so far (including a resumed prefix). */
  bytes: number;
  total: number | undefined;
  /** Average over this download session, resumed bytes excluded. */
  bytesPerSecond: number;
}

/**
 * What the downloaded bytes were checked against: a sha256 pinned in the registry, the hash recorded in models.lock.json at the
 * first download, a hash the server announced (it could announce anything), or nothing.
 */
export type Verification = 'registry' | 'lock' | 'etag' | 'unverified';

export interface DownloadedFile {
  path: string;
  bytes: number;
  sha256: string;
  /** Where the expected checksum came from; 'unverified' when neither the registry nor the server gave one. */
  verification: Verification;
  /** True when an earlier partial download was continued with a Range request. */
  resumed: boolean;
}

export interface DownloadFileOptions {
  url: string;
  destination: string;
  /** Label used in progress and errors (e.g. the repo-relative path). */
  label?: string;
  expectedSha256?: string | null;
  /** Where expectedSha256 comes from (default: the registry). */
  expectedFrom?: 'registry' | 'lock';
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Retries after a dropped connection or a 5xx/429, with exponential backoff. */
  retries?: number;
  retryDelayMs?: number;
  env?: Env;
  headers?: Record<string, string>;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export class ChecksumError extends Error {
  override name = 'ChecksumError';
}

interface OpenedResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Buffer> & { dump(): Promise<void> };
  /** sha256 announced by any hop (the hub puts X-Linked-Etag on the redirect to its CDN). */
  announcedSha256: string | undefined;
}

function header(headers: OpenedResponse['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const MAX_REDIRECTS = 8;

async function openFollowingRedirects(url: string, headers: Record<string, string>, options: DownloadFileOptions): Promise<OpenedResponse> {
  let current = new URL(url);
  const origin = current.origin;
  let announcedSha256: string | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    // Credentials go only to the origin they were meant for, never to a CDN it redirects to.
    const hopHeaders = current.origin === origin ? headers : Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() !== 'authorization'));
    // undici (~1 MB of JavaScript) is loaded by the first download, not by every command that imports this file.
    const { request } = await import('undici');
    const response = await request(current, { method: 'GET', headers: hopHeaders, signal: options.signal, dispatcher: dispatcherFor(current, options.env) });
    const responseHeaders = response.headers as OpenedResponse['headers'];
    announcedSha256 ??= sha256FromEtag(header(responseHeaders, 'x-linked-etag'));
    const location = header(responseHeaders, 'location');
    if (response.statusCode >= 300 && response.statusCode < 400 && location) {
      await response.body.dump();
      current = new URL(location, current);
      continue;
    }
    announcedSha256 ??= sha256FromEtag(header(responseHeaders, 'etag'));
    return { statusCode: response.statusCode, headers: responseHeaders, body: response.body, announcedSha256 };
  }
  throw new DownloadError(`too many redirects for ${url}`, false);
}

async function fileSize(file: string): Promise<number> {
  return stat(file).then((s) => s.size, () => 0);
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return Boolean(signal?.aborted) || (error as Error)?.name === 'AbortError';
}

/** One attempt: continue `<destination>.part` from its current size. Returns the announced sha256. */
async function transfer(options: DownloadFileOptions, part: string, state: { resumed: boolean; sessionBytes: number; started: number }): Promise<string | undefined> {
  const label = options.label ?? options.url;
  let have = await fileSize(part);
  const headers: Record<string, string> = { ...options.headers };
  if (have > 0) headers.range = `bytes=${have}-`;
  const response = await openFollowingRedirects(options.url, headers, options);
  const { statusCode } = response;
  if (statusCode === 416 && have > 0) {
    // The partial file already holds every byte; checksum verification decides if it is right.
    await response.body.dump();
    return response.announcedSha256;
  }
  if (statusCode !== 200 && statusCode !== 206) {
    await response.body.dump();
    const retryable = statusCode >= 500 || statusCode === 429 || statusCode === 408;
    throw new DownloadError(`${label}: HTTP ${statusCode}${statusCode === 404 ? ' (not in this repository/revision)' : ''}`, retryable);
  }
  let total: number | undefined;
  if (statusCode === 206) {
    const range = /bytes (\d+)-\d+\/(\d+|\*)/.exec(header(response.headers, 'content-range') ?? '');
    if (!range || Number(range[1]) !== have) {
      // The server answered a different range than asked: start over rather than splice bytes.
      await response.body.dump();
      await rm(part, { force: true });
      throw new DownloadError(`${label}: server returned an unexpected range`, true);
    }
    state.resumed = true;
    total = range[2] === '*' ? undefined : Number(range[2]);
  } else {
    // A 200 to a Range request means the server ignored it: the body is the whole file.
    have = 0;
    const length = header(response.headers, 'content-length');
    total = length ? Number(length) : undefined;
  }
  const handle = await open(part, have > 0 ? 'a' : 'w');
  let bytes = have;
  let lastReport = 0;
  const report = (force: boolean) => {
    const now = performance.now();
    if (!options.onProgress || (!force && now - lastReport < 100)) return;
    lastReport = now;
    const seconds = Math.max((now - state.started) / 1000, 1e-3);
    options.onProgress({ file: label, bytes, total, bytesPerSecond: state.sessionBytes / seconds });
  };
  try {
    for await (const chunk of response.body) {
      await handle.write(chunk);
      bytes += chunk.length;
      state.sessionBytes += chunk.length;
      report(false);
    }
  } finally {
    await handle.close();
  }
  report(true);
  if (total !== undefined && bytes !== total) throw new DownloadError(`${label}: connection closed at ${bytes} of ${total} bytes`, true);
  return response.announcedSha256;
}

/**
 * Downloads `url` to `destination` through `<destination>.part`: resumable with HTTP Range across
 * dropped connections and across runs, verified by sha256, renamed into place only when verified.
 * A checksum mismatch deletes the partial file so a retry starts clean.
 */
export async function downloadFile(options: DownloadFileOptions): Promise<DownloadedFile> {
  const part = `${options.destination}.part`;
  const retries = options.retries ?? 5;
  const label = options.label ?? options.url;
  const state = { resumed: false, sessionBytes: 0, started: performance.now() };
  let announced: string | undefined;
  for (let attempt = 0; ; attempt++) {
    options.signal?.throwIfAborted();
    try {
      announced = await transfer(options, part, state);
      break;
    } catch (error) {
      if (isAbort(error, options.signal)) throw options.signal?.reason ?? error;
      const retryable = error instanceof DownloadError ? error.retryable : true;
      if (!retryable || attempt >= retries) {
        throw error instanceof DownloadError ? error : new DownloadError(`${label}: ${(error as Error).message}`, true);
      }
      await sleep((options.retryDelayMs ?? 500) * 2 ** attempt, undefined, { signal: options.signal });
    }
  }
  const actual = await sha256File(part);
  const expected = options.expectedSha256?.toLowerCase() ?? announced;
  const verification: Verification = options.expectedSha256 ? options.expectedFrom ?? 'registry' : announced ? 'etag' : 'unverified';
  if (expected && expected !== actual) {
    await rm(part, { force: true });
    const from = { registry: 'pinned in the registry', lock: 'recorded in models.lock.json at the first download', etag: 'announced by the server', unverified: '' }[verification];
    throw new ChecksumError(`${label}: sha256 mismatch (expected ${expected}, ${from}; got ${actual}); the download was discarded`);
  }
  await rename(part, options.destination);
  return { path: options.destination, bytes: await fileSize(options.destination), sha256: actual, verification, resumed: state.resumed };
}
