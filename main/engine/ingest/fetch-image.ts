// One URL → checked image bytes, in the manner of img2dataset: timeout, retries with backoff, size cap, content-type and decode checks.
import sharp from '../media/lazy-sharp';
import { BlockedAddressError, guardedFetch } from './network-guard';
import { MAX_PIXELS, probeBuffer, type Probe } from './probe';

export interface FetchOptions {
  timeoutMs: number; retries: number; maxBytes: number; resize: number | null; backoffMs?: number;
  /** Loopback, private and link-local targets are refused unless allowed (whole, or by CIDR range). */
  allowPrivateNetwork?: boolean; allowNetworks?: string[];
}

export type FetchResult =
  | { ok: true; data: Buffer; probe: Probe; httpStatus: number; attempts: number; resized: boolean }
  | { ok: false; status: string; error: string; httpStatus: number | null; attempts: number };

class Failure extends Error {
  constructor(readonly status: string, message: string, readonly retryable: boolean, readonly httpStatus: number | null = null) {
    super(message);
  }
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const t = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
});

export async function fetchImage(url: string, o: FetchOptions, signal?: AbortSignal): Promise<FetchResult> {
  let attempt = 0;
  for (;;) {
    attempt++;
    try {
      const r = await fetchOnce(url, o, signal);
      return { ...r, attempts: attempt };
    } catch (err) {
      signal?.throwIfAborted();
      const f = err instanceof Failure ? err : new Failure('failed_to_download', (err as Error).message, true);
      if (!f.retryable || attempt > o.retries) return { ok: false, status: f.status, error: f.message, httpStatus: f.httpStatus, attempts: attempt };
      await sleep((o.backoffMs ?? 250) * 2 ** (attempt - 1), signal);
    }
  }
}

async function fetchOnce(url: string, o: FetchOptions, outer?: AbortSignal): Promise<{ ok: true; data: Buffer; probe: Probe; httpStatus: number; resized: boolean }> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = outer ? AbortSignal.any([outer, timeout]) : timeout;
  let res: Awaited<ReturnType<typeof guardedFetch>>;
  try {
    res = await guardedFetch(url, { allowPrivateNetwork: o.allowPrivateNetwork ?? false, allowNetworks: o.allowNetworks ?? [] },
      { signal, headers: { 'user-agent': 'winnow (img2dataset-compatible downloader)' } });
  } catch (err) {
    outer?.throwIfAborted();
    if (err instanceof BlockedAddressError) throw new Failure('blocked_address', err.message, false);
    if (timeout.aborted) throw new Failure('timeout', `no response within ${o.timeoutMs} ms`, true);
    throw new Failure('failed_to_download', `${(err as Error).message}${(err as { cause?: Error }).cause ? `: ${(err as { cause: Error }).cause.message}` : ''}`, true);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Failure(`http_${res.status}`, `HTTP ${res.status} ${res.statusText}`, res.status >= 500 || res.status === 429 || res.status === 408, res.status);
  }
  const type = (res.headers.get('content-type') ?? '').toLowerCase();
  if (type && !type.startsWith('image/') && !type.startsWith('application/octet-stream') && !type.startsWith('binary/')) {
    await res.body?.cancel().catch(() => undefined);
    throw new Failure('not_image', `content-type ${type} is not an image`, false, res.status);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > o.maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Failure('too_large', `${declared} bytes declared, above the ${o.maxBytes} byte limit`, false, res.status);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > o.maxBytes) {
        await res.body?.cancel().catch(() => undefined);
        throw new Failure('too_large', `more than ${o.maxBytes} bytes`, false, res.status);
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof Failure) throw err;
    outer?.throwIfAborted();
    if (timeout.aborted) throw new Failure('timeout', `body not complete within ${o.timeoutMs} ms`, true, res.status);
    throw new Failure('failed_to_download', (err as Error).message, true, res.status);
  }
  let data: Buffer = Buffer.concat(chunks);
  let probe: Probe;
  try {
    probe = probeBuffer(data, '');
    // A small decode proves the bytes are an image (shrink-on-load keeps this cheap for big ones).
    await sharp(data, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).resize(16, 16, { fit: 'inside' }).raw().toBuffer();
  } catch (err) {
    throw new Failure('decode_failed', `not a decodable image: ${(err as Error).message}`, false, res.status);
  }
  let resized = false;
  if (o.resize && Math.max(probe.width, probe.height) > o.resize) {
    const fmt = probe.format === 'png' ? 'png' : probe.format === 'webp' ? 'webp' : 'jpeg';
    data = await sharp(data, { limitInputPixels: MAX_PIXELS }).rotate().resize({ width: o.resize, height: o.resize, fit: 'inside' }).toFormat(fmt, { quality: 95 }).toBuffer();
    probe = probeBuffer(data, '');
    resized = true;
  }
  return { ok: true, data, probe, httpStatus: res.status, resized };
}
