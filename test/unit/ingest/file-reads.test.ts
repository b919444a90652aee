// The import's read worker (file-reads.ts running read-files.mjs on a worker thread) against independent
// reads: node:crypto over readFileSync, and the same code in this thread. Each test checks that the worker
// really answered (served counts), so a silent in-thread fallback cannot pass for the worker.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inThreadReads, workerReads, type WorkerReads } from '../../../main/engine/ingest/file-reads';
import { ImageFolderSource } from '../../../main/engine/ingest/image-folder';
import type { IngestEntry } from '../../../main/engine/ingest/entry';
import { probeRead, UnreadableImage } from '../../../main/engine/ingest/probe';
import { probeFile } from '../../fixtures/probe-file';
import { makeImageFolder, solid, tempDir } from '../../fixtures/images';

let dir: string;
let files: string[];
const open: WorkerReads[] = [];
const started = (url?: URL) => {
  const r = workerReads(url);
  open.push(r);
  return r;
};
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));

beforeAll(async () => {
  dir = await tempDir();
  await makeImageFolder(dir, { count: 6, dirty: true });
  // Past the synchronous small-file limit (256 KiB) and past one streaming chunk (512 KiB).
  const raw = Buffer.alloc(700 * 700 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  await sharp(raw, { raw: { width: 700, height: 700, channels: 3 } }).png({ compressionLevel: 0 }).toFile(path.join(dir, 'big.png'));
  await solid(40, 20).jpeg().withMetadata({ orientation: 6 }).toFile(path.join(dir, 'rotated.jpg'));
  mkdirSync(path.join(dir, 'a-folder.jpg'));
  symlinkSync(path.join(dir, 'nowhere.png'), path.join(dir, 'dangling.png'));
  files = walk(dir).sort();
  expect(statSync(path.join(dir, 'big.png')).size).toBeGreaterThan(512 * 1024);
});

describe('read worker', () => {
  it('gives each image the sha256 node:crypto gives, and the same reads as this thread', async () => {
    const reads = started();
    expect(await reads.ready).toBe(true);
    const targets = [...files, path.join(dir, 'a-folder.jpg'), path.join(dir, 'missing.jpg')];
    const [fromWorker, here] = [await reads.images(targets), await inThreadReads.images(targets)];
    expect(reads.served).toEqual({ worker: targets.length, inThread: 0 });
    expect(fromWorker).toEqual(here);
    for (const [i, file] of files.entries()) {
      const read = fromWorker[i];
      if (file.endsWith('dangling.png')) {
        expect(read).toEqual({ ioError: 'cannot open: ENOENT' });
        continue;
      }
      const bytes = readFileSync(file);
      expect(read).toMatchObject({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    expect(fromWorker.at(-2)).toEqual({ ioError: 'cannot read: EISDIR' });
    expect(fromWorker.at(-1)).toEqual({ ioError: 'cannot open: ENOENT' });
  });

  it('keeps the order when large files (read streaming, eight at a time) sit among small ones', async () => {
    const mixed = Array.from({ length: 21 }, (_, i) => {
      const file = path.join(dir, `mixed-${i}.bin`);
      // Every third file is past the synchronous limit; sizes differ so a swapped result cannot match.
      const bytes = Buffer.alloc(i % 3 === 0 ? 256 * 1024 + 1 + i * 9000 : 100 + i, i + 1);
      writeFileSync(file, bytes);
      return { file, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    });
    const reads = started();
    await reads.ready;
    const got = await reads.images(mixed.map((m) => m.file));
    expect(reads.served.worker).toBe(mixed.length);
    expect(got.map((r) => ('ioError' in r ? r : { sha256: r.sha256, bytes: r.bytes }))).toEqual(mixed.map(({ sha256, bytes }) => ({ sha256, bytes })));
    expect(got).toEqual(await inThreadReads.images(mixed.map((m) => m.file)));
  });

  it('leads to the same probes and the same kinds of unreadable file as probing in this thread', async () => {
    const reads = started();
    await reads.ready;
    const images = files.filter((f) => /\.(jpe?g|png|webp|gif|tiff?|avif)$/i.test(f));
    const fromWorker = await reads.images(images);
    expect(reads.served.worker).toBe(images.length);
    const outcome = async (p: () => unknown) => {
      try {
        return await p();
      } catch (err) {
        expect(err).toBeInstanceOf(UnreadableImage);
        return { kind: (err as UnreadableImage).kind, message: (err as Error).message };
      }
    };
    const kinds = new Set<string>();
    for (const [i, file] of images.entries()) {
      const viaWorker = await outcome(() => probeRead(fromWorker[i], file));
      expect(viaWorker).toEqual(await outcome(() => probeFile(file)));
      if ((viaWorker as { kind?: string }).kind) kinds.add((viaWorker as { kind: string }).kind);
    }
    // The dirty folder's broken files and the dangling link reach every kind an unreadable image can have.
    expect([...kinds].sort()).toEqual(['empty_file', 'io_error', 'too_large', 'unreadable']);
    expect(await outcome(() => probeRead(fromWorker[images.indexOf(path.join(dir, 'rotated.jpg'))], 'rotated.jpg'))).toMatchObject({ width: 20, height: 40 });
  });

  it('reads sidecar texts as this thread does, errors included', async () => {
    const reads = started();
    await reads.ready;
    const long = path.join(dir, 'long.txt');
    writeFileSync(long, 'é'.repeat(50_000)); // 100 kB: past the synchronous text limit (64 KiB)
    const targets = [...files.filter((f) => /\.(txt|caption|json)$/.test(f)), long, path.join(dir, 'a-folder.jpg'), path.join(dir, 'missing.txt')];
    const fromWorker = await reads.texts(targets);
    expect(reads.served).toEqual({ worker: targets.length, inThread: 0 });
    expect(fromWorker).toEqual(await inThreadReads.texts(targets));
    expect(fromWorker.slice(0, -2)).toEqual(targets.slice(0, -2).map((f) => ({ text: readFileSync(f, 'utf8') })));
    expect(fromWorker.at(-2)).toMatchObject({ error: expect.stringMatching(/EISDIR/) });
    expect(fromWorker.at(-1)).toMatchObject({ error: expect.stringMatching(/ENOENT/) });
  });

  it('reads captions in this thread while the worker starts; images wait for it', async () => {
    const reads = started();
    const texts = files.filter((f) => f.endsWith('.txt'));
    const [early, images] = await Promise.all([reads.texts(texts), reads.images(files)]);
    expect(reads.served).toEqual({ worker: files.length, inThread: texts.length });
    expect(early).toEqual(await inThreadReads.texts(texts));
    expect(images).toEqual(await inThreadReads.images(files));
  });

  it('reads everything pending in this thread when the worker dies, and everything after', async () => {
    // A worker that starts, then exits on its first request.
    const dies = new URL(`data:text/javascript,${encodeURIComponent("import { parentPort } from 'node:worker_threads'; parentPort.postMessage({ ready: true }); parentPort.on('message', () => process.exit(3));")}`);
    const reads = started(dies);
    expect(await reads.ready).toBe(true);
    const [a, b] = await Promise.all([reads.images(files), reads.texts(files.slice(0, 3))]);
    expect(a).toEqual(await inThreadReads.images(files));
    expect(b).toEqual(await inThreadReads.texts(files.slice(0, 3)));
    expect(reads.served).toEqual({ worker: 0, inThread: files.length + 3 });
    expect(await reads.images(files.slice(0, 1))).toEqual(a.slice(0, 1));
    expect(reads.served.inThread).toBe(files.length + 4);
  });

  it('answers what was pending when it is closed', async () => {
    const reads = started();
    await reads.ready;
    const pending = reads.images(files);
    await reads.close();
    expect(await pending).toEqual(await inThreadReads.images(files));
  });

  it('does not keep a process alive when nobody closes it', () => {
    // A job that threw before its finally could leave a reader open: the process must still exit.
    const script = `import { workerReads } from ${JSON.stringify(pathToFileURL(path.resolve('main/engine/ingest/file-reads.ts')).href)};
      const reads = workerReads(); await reads.ready; const [r] = await reads.images([${JSON.stringify(files[0])}]);
      console.log(JSON.stringify({ served: reads.served, bytes: r.bytes }));`;
    const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(res.signal).toBeNull();
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({ served: { worker: 1, inThread: 0 }, bytes: statSync(files[0]).size });
  });
});

describe('image folder through the read worker', () => {
  it('yields the entries it yields with in-thread reads: captions, problems, resume positions', async () => {
    const folder = await tempDir();
    await makeImageFolder(folder, { count: 300, dirty: true });
    writeFileSync(path.join(folder, 'bad-sidecar.png'), readFileSync(path.join(folder, 'formats', 'sample-png.png')));
    writeFileSync(path.join(folder, 'bad-sidecar.json'), '{ not json');
    writeFileSync(path.join(folder, 'lost-caption.png'), readFileSync(path.join(folder, 'formats', 'sample-png.png')));
    symlinkSync(path.join(folder, 'gone.txt'), path.join(folder, 'lost-caption.txt'));
    const collect = async (src: ImageFolderSource, skip: number) => {
      const out: IngestEntry[] = [];
      for await (const e of src.entries(skip)) out.push(e);
      return out;
    };
    const reads = started();
    await reads.ready;
    for (const skip of [0, 1, 257, 300]) {
      const viaWorker = await collect(new ImageFolderSource(folder, reads), skip);
      expect(viaWorker).toEqual(await collect(new ImageFolderSource(folder), skip));
    }
    expect(reads.served.worker).toBeGreaterThan(300);
    const all = await collect(new ImageFolderSource(folder, reads), 0);
    expect(all.filter((e) => e.type === 'file' && e.caption !== null).length).toBeGreaterThan(250);
    expect(all.find((e) => e.key === 'bad-sidecar.png')).toMatchObject({ caption: null, problems: [{ kind: 'bad_caption', message: expect.stringMatching(/bad-sidecar\.json/) }] });
    expect(all.find((e) => e.key === 'lost-caption.png')).toMatchObject({ caption: null, problems: [{ kind: 'bad_caption', message: expect.stringMatching(/unreadable \(ENOENT/) }] });
  });
});
