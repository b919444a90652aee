import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IngestEntry } from '../../main/engine/ingest/entry';
import { ImageFolderSource } from '../../main/engine/ingest/image-folder';
import { ManifestSource } from '../../main/engine/ingest/manifest';
import { makeImageFolder, solid, tempDir } from '../fixtures/images';

async function collect(it: AsyncIterable<IngestEntry>): Promise<IngestEntry[]> {
  const out: IngestEntry[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe('image folder source', () => {
  it('walks recursively in a stable order, reads sidecar captions, and resumes at a position', async () => {
    const dir = await tempDir();
    const truth = await makeImageFolder(dir, { count: 7, dirty: true });
    const src = new ImageFolderSource(dir);
    const all = await collect(src.entries(0));
    expect(await src.count()).toBe(all.length);
    const keys = all.map((e) => e.key);
    expect(new Set(keys)).toEqual(new Set([...truth.good, ...Object.values(truth.broken)]));
    for (const [rel, caption] of truth.captions) {
      const e = all.find((x) => x.key === rel);
      expect(e?.type === 'file' && e.caption).toBe(caption);
    }
    const png = all.find((e) => e.key === 'formats/sample-png.png');
    expect(png?.type === 'file' && png.captionOrigin).toBe('sidecar.caption');
    const rest = await collect(src.entries(5));
    expect(rest.map((e) => e.key)).toEqual(keys.slice(5));
  });

  it('counts what it yields, and yields the same entries in batches, with links inside, outside, dangling and to a folder', async () => {
    const dir = await tempDir();
    const outside = await tempDir();
    await makeImageFolder(dir, { count: 300, dirty: true });
    await solid(8, 8).png().toFile(path.join(outside, 'private.png'));
    mkdirSync(path.join(dir, 'links', 'deeper', 'deepest'), { recursive: true });
    mkdirSync(path.join(dir, '.hidden'));
    await solid(8, 8).png().toFile(path.join(dir, '.hidden', 'skipped.png'));
    await solid(8, 8).png().toFile(path.join(dir, '.dotted.png'));
    writeFileSync(path.join(dir, 'links', 'notes.md'), 'not an image');
    await solid(8, 8).png().toFile(path.join(dir, 'links', 'deeper', 'deepest', 'real.png'));
    symlinkSync(path.join(dir, 'links', 'deeper', 'deepest', 'real.png'), path.join(dir, 'links', 'inside.png'));
    symlinkSync(path.join(outside, 'private.png'), path.join(dir, 'links', 'escape.png'));
    symlinkSync(path.join(dir, 'links', 'gone.png'), path.join(dir, 'links', 'dangling.png'));
    symlinkSync(path.join(dir, 'links', 'deeper'), path.join(dir, 'links', 'folder.png'));
    const src = new ImageFolderSource(dir);
    const all = await collect(src.entries(0));
    expect(await src.count()).toBe(all.length);
    const links = all.filter((e) => e.key.startsWith('links/'));
    expect(links.map((e) => [e.key, e.type === 'bad' ? e.kind : e.type])).toEqual([
      ['links/dangling.png', 'outside_source'], ['links/deeper/deepest/real.png', 'file'], ['links/escape.png', 'outside_source'], ['links/inside.png', 'file'],
    ]);
    expect(all.some((e) => e.key.includes('.hidden') || e.key.includes('.dotted'))).toBe(false);
    for (const skip of [0, 1, 255, 256, 299, all.length, all.length + 3]) {
      const batches: IngestEntry[][] = [];
      for await (const b of src.entryBatches(skip)) batches.push(b);
      expect(batches.every((b) => b.length > 0 && b.length <= 256)).toBe(true);
      expect(batches.flat()).toEqual(all.slice(skip));
    }
  });

  it('keeps an image whose JSON sidecar is unparseable, without a caption and with a bad_caption problem', async () => {
    const dir = await tempDir();
    await makeImageFolder(dir, { count: 2 });
    await solid(8, 8).png().toFile(path.join(dir, 'lonely.png'));
    writeFileSync(path.join(dir, 'lonely.json'), '{ not json');
    const entries = await collect(new ImageFolderSource(dir).entries(0));
    expect(entries.map((e) => e.type).sort()).toEqual(['file', 'file', 'file']);
    const lonely = entries.find((e) => e.key === 'lonely.png');
    expect(lonely).toMatchObject({ type: 'file', caption: null, problems: [{ kind: 'bad_caption', location: 'lonely.png' }] });
  });
});

describe('manifest source', () => {
  it('reads JSONL rows: relative paths, URLs, captions, extra columns and bad rows', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'manifest.jsonl');
    writeFileSync(file, [
      JSON.stringify({ path: 'a.jpg', caption: 'first', license: 'cc-by', score: 0.5 }),
      '{ broken json',
      JSON.stringify({ url: 'https://example.invalid/x.jpg', TEXT: 'remote one' }),
      JSON.stringify({ caption: 'no image column' }),
      '',
      JSON.stringify({ file_name: '../outside.jpg', text: 'escapes' }),
      '[1,2]',
    ].join('\n'));
    const src = new ManifestSource(file, 'jsonl');
    const entries = await collect(src.entries(0));
    expect(await src.count()).toBe(6);
    expect(entries[0]).toMatchObject({ type: 'file', file: path.join(dir, 'a.jpg'), caption: 'first', captionOrigin: 'manifest.caption', extra: { license: 'cc-by', score: 0.5 } });
    expect(entries[1]).toMatchObject({ type: 'bad', kind: 'bad_row', location: 'manifest.jsonl:2' });
    expect(entries[2]).toMatchObject({ type: 'remote', url: 'https://example.invalid/x.jpg', caption: 'remote one' });
    expect(entries[3]).toMatchObject({ type: 'bad', message: expect.stringMatching(/no image column/) });
    expect(entries[4]).toMatchObject({ type: 'bad', kind: 'outside_source' });
    expect(entries[5]).toMatchObject({ type: 'bad', message: 'row is not a JSON object' });
  });

  it('reads CSV with a header, quoted fields and extra columns', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'list.csv');
    writeFileSync(file, 'file_name,caption,split\nx.png,"a caption, with a comma",train\ny.png,,val\n');
    const entries = await collect(new ManifestSource(file, 'csv').entries(0));
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ type: 'file', caption: 'a caption, with a comma', extra: { split: 'train' } });
    // An empty caption cell is no caption (img2dataset writes none as empty; Winnow's CSV export too).
    expect(entries[1]).toMatchObject({ type: 'file', caption: null, extra: { split: 'val' } });
  });
});
