import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine';
import { createDispatch } from '../../main/api/handlers';
import { scenes } from '../fixtures/formats';
import { tempDir } from '../fixtures/images';

let server: Server;
let base: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  const [a, b] = await scenes(2, 'download');
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.set(url, (hits.get(url) ?? 0) + 1);
    const img = (buf: Buffer) => { res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': buf.length }); res.end(buf); };
    if (url === '/ok/a.jpg') return img(a.jpeg);
    if (url === '/ok/b.jpg') return img(b.jpeg);
    if (url === '/flaky.jpg') { if (hits.get(url)! === 1) { res.writeHead(500); res.end('oops'); return; } return img(a.jpeg); }
    // Far past the 2 s timeout below, which is long enough that a loaded CI machine still reaches the server in time.
    if (url === '/slow.jpg') { setTimeout(() => img(a.jpeg), 6000); return; }
    if (url === '/big.jpg') { res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': 300_000 }); res.end(Buffer.alloc(300_000)); return; }
    if (url === '/big-chunked.jpg') { res.writeHead(200, { 'content-type': 'image/jpeg' }); for (let i = 0; i < 30; i++) res.write(Buffer.alloc(10_000)); res.end(); return; }
    if (url === '/page.html') { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html></html>'); return; }
    if (url === '/garbage.jpg') { res.writeHead(200, { 'content-type': 'image/jpeg' }); res.end(Buffer.from('definitely not a jpeg at all, just text')); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('URL download job', () => {
  it('downloads with retries, timeouts, size/content-type/decode checks; statuses kept; resumable', async () => {
    const home = await tempDir();
    process.env.WINNOW_HOME = home;
    const names = ['ok/a.jpg', 'ok/b.jpg', 'flaky.jpg', 'slow.jpg', 'big.jpg', 'big-chunked.jpg', 'page.html', 'garbage.jpg', 'missing.jpg'];
    const manifest = path.join(home, 'urls.jsonl');
    await writeFile(manifest, names.map((n) => JSON.stringify({ url: `${base}/${n}`, caption: n })).join('\n'));
    const engine = new Engine('cli');
    const project = await engine.createProject(path.join(home, 'p'));
    const dispatch = createDispatch(engine);
    const { jobId: importId } = await engine.addSource(manifest);
    await project.jobs.wait(importId);
    const started = await dispatch('downloads.start', { options: { concurrency: 3, timeoutMs: 2000, retries: 1, maxBytes: 100_000, resize: 20, allowPrivateNetwork: true } }) as { jobId: number; pending: number };
    expect(started.pending).toBe(9);
    const job = await project.jobs.wait(started.jobId);
    expect(job.state).toBe('done');
    const items = project.items.page(0, 100);
    const status = Object.fromEntries(items.map((i) => [i.caption, i.extra?.download_status]));
    expect(status).toEqual({
      'ok/a.jpg': 'success', 'ok/b.jpg': 'success', 'flaky.jpg': 'success', 'slow.jpg': 'timeout', 'big.jpg': 'too_large',
      'big-chunked.jpg': 'too_large', 'page.html': 'not_image', 'garbage.jpg': 'decode_failed', 'missing.jpg': 'http_404',
    });
    expect(hits.get('/flaky.jpg')).toBe(2);
    expect(hits.get('/missing.jpg')).toBe(1); // a 404 is not retried
    const a = items.find((i) => i.caption === 'ok/a.jpg')!;
    expect(Math.max(a.width!, a.height!)).toBe(20); // resized on arrival
    expect(project.items.provenance(a.id)).toMatchObject({ downloaded: `downloads/0/${a.id}.jpg`, http_status: 200 });
    expect((await engine.getMedia('image', a.id)).contentType).toBe('image/jpeg');
    expect(project.issues.list(0, 100).filter((i) => i.kind === 'download_failed')).toHaveLength(6);
    // Resumable / repeatable: a new run only retries what is not downloaded yet.
    const again = await dispatch('downloads.start', { options: { timeoutMs: 2000, retries: 0, maxBytes: 100_000, allowPrivateNetwork: true } }) as { jobId: number; pending: number };
    expect(again.pending).toBe(6);
    await project.jobs.wait(again.jobId);
    expect(hits.get('/ok/a.jpg')).toBe(1);
    await engine.close();
  });
});
