import { writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnreadableImage } from '../../main/engine/ingest/probe';
import { probeFile } from '../fixtures/probe-file';
import { hugeDimensionPng, makeImageFolder, solid, tempDir } from '../fixtures/images';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
  await makeImageFolder(dir, { count: 1, dirty: true });
});

// Files probed as an import probes them: the import's reads, then probeRead.
describe('probing an image file', () => {
  it('reads width/height from the header of every supported format and hashes the bytes', async () => {
    for (const [rel, format] of [['formats/sample-png.png', 'png'], ['formats/sample-webp.webp', 'webp'], ['formats/sample-gif.gif', 'gif'], ['formats/sample-tiff.tiff', 'tiff'], ['formats/sample-avif.avif', 'avif']]) {
      const p = await probeFile(path.join(dir, rel));
      expect(p.format).toBe(format);
      expect([p.width, p.height]).toEqual([40, 30]);
      expect(p.sha256).toBe(createHash('sha256').update(readFileSync(path.join(dir, rel))).digest('hex'));
      expect(p.extensionMismatch).toBeNull();
    }
  });

  it('reports the displayed size of an EXIF-rotated JPEG', async () => {
    const file = path.join(dir, 'rotated.jpg');
    await solid(60, 20).jpeg().withMetadata({ orientation: 6 }).toFile(file);
    const p = await probeFile(file);
    expect([p.width, p.height]).toEqual([20, 60]);
  });

  it('names each kind of unreadable file', async () => {
    const kind = async (rel: string) => {
      try {
        await probeFile(path.join(dir, rel));
        return 'readable';
      } catch (err) {
        expect(err).toBeInstanceOf(UnreadableImage);
        return (err as UnreadableImage).kind;
      }
    };
    expect(await kind('broken/empty.png')).toBe('empty_file');
    expect(await kind('broken/corrupt.jpg')).toBe('unreadable');
    expect(await kind('broken/huge.png')).toBe('too_large');
    expect(await kind('does/not/exist.jpg')).toBe('io_error');
  });

  it('keeps a readable file whose extension lies, and says so', async () => {
    const p = await probeFile(path.join(dir, 'broken/actually-png.jpg'));
    expect(p.format).toBe('png');
    expect(p.extensionMismatch).toMatch(/extension \.jpg but content is png/);
  });

  it('hashes files larger than one read chunk correctly', async () => {
    const file = path.join(dir, 'big.png');
    const raw = Buffer.alloc(700 * 700 * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
    await sharp(raw, { raw: { width: 700, height: 700, channels: 3 } }).png({ compressionLevel: 0 }).toFile(file);
    const bytes = readFileSync(file);
    expect(bytes.length).toBeGreaterThan(512 * 1024);
    const p = await probeFile(file);
    expect(p.bytes).toBe(bytes.length);
    expect(p.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('hashes the same on either side of the synchronous small-file read (256 KiB)', async () => {
    const png = await solid(40, 30).png().toBuffer();
    for (const size of [256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 300 * 1024]) {
      const file = path.join(dir, `padded-${size}.png`);
      // Bytes after IEND are ignored by readers; they only set the file's size.
      const bytes = Buffer.concat([png, Buffer.alloc(size - png.length, 7)]);
      writeFileSync(file, bytes);
      const p = await probeFile(file);
      expect([p.width, p.height, p.bytes]).toEqual([40, 30, size]);
      expect(p.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });

  it('treats a header that claims 100000×100000 as a decompression bomb without decoding it', async () => {
    const file = path.join(dir, 'bomb.png');
    writeFileSync(file, hugeDimensionPng(100_000, 100_000));
    await expect(probeFile(file)).rejects.toThrow(/pixel limit/);
  });
});
