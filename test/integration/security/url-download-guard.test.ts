// Issue 13 item 5 (URL downloads from untrusted manifests stay off loopback/private networks) and item 7 (SVG named .png).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchImage } from '../../../main/engine/ingest/fetch-image';
import { probeFile } from '../../fixtures/probe-file';
import { tempDir } from '../../fixtures/images';

let server: Server;
let port: number;
let png: Buffer;
const hits: string[] = [];
const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><image href="file:///etc/hostname" width="32" height="32"/></svg>');
const base = { timeoutMs: 2000, retries: 0, maxBytes: 1_000_000, resize: null };

beforeAll(async () => {
  png = await sharp({ create: { width: 12, height: 10, channels: 3, background: 'green' } }).png().toBuffer();
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/a.png') { res.writeHead(200, { 'content-type': 'image/png' }); return res.end(png); }
    if (req.url === '/svg.png') { res.writeHead(200, { 'content-type': 'image/png' }); return res.end(svg); }
    // A public-looking first hop that redirects into loopback over IPv6: the second hop must be checked too.
    if (req.url === '/to-v6') { res.writeHead(302, { location: `http://[::1]:${port}/a.png` }); return res.end(); }
    if (req.url === '/to-localhost') { res.writeHead(302, { location: `http://localhost:${port}/a.png` }); return res.end(); }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('URL downloads refuse loopback, private and link-local targets by default', () => {
  it('blocks a literal loopback address and a name that resolves to one, before any request is made', async () => {
    hits.length = 0;
    const literal = await fetchImage(`http://127.0.0.1:${port}/a.png`, base);
    expect(literal).toMatchObject({ ok: false, status: 'blocked_address' });
    const named = await fetchImage(`http://localhost:${port}/a.png`, base);
    expect(named).toMatchObject({ ok: false, status: 'blocked_address' });
    for (const url of ['http://10.0.0.1/a.png', 'http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://0.0.0.0/x']) {
      expect(await fetchImage(url, base)).toMatchObject({ ok: false, status: 'blocked_address' });
    }
    expect(hits).toEqual([]);
  });

  it('downloads from a private target when allowed, and re-checks every redirect hop', async () => {
    const allowed = await fetchImage(`http://127.0.0.1:${port}/a.png`, { ...base, allowPrivateNetwork: true });
    expect(allowed.ok).toBe(true);
    // Only 127.0.0.1 is allowed: the first hop is served, the redirect to ::1 is refused without connecting.
    hits.length = 0;
    const hop = await fetchImage(`http://127.0.0.1:${port}/to-v6`, { ...base, allowNetworks: ['127.0.0.1/32'] });
    expect(hop).toMatchObject({ ok: false, status: 'blocked_address' });
    expect(hits).toEqual(['/to-v6']);
    const viaName = await fetchImage(`http://127.0.0.1:${port}/to-localhost`, { ...base, allowNetworks: ['127.0.0.1/32', '::1/128'] });
    expect(viaName.ok).toBe(true);
  });
});

describe('only raster formats Winnow accepts are decoded', () => {
  it('refuses SVG content named .png, downloaded or on disk', async () => {
    const fetched = await fetchImage(`http://127.0.0.1:${port}/svg.png`, { ...base, allowPrivateNetwork: true });
    expect(fetched.ok).toBe(false);
    expect(fetched.ok ? '' : fetched.error).toMatch(/svg content is not an accepted image format/);
    const dir = await tempDir();
    await writeFile(path.join(dir, 'fake.png'), svg);
    await expect(probeFile(path.join(dir, 'fake.png'))).rejects.toThrow(/svg content is not an accepted image format/);
  });
});
