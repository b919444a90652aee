import { describe, expect, it } from 'vitest';
import { unsafeMember } from '../../main/engine/ingest/archive-safety';
import { decodeCountsString, decodeRle, encodeCountsString, encodeRle, normalizeRle } from '../../main/domain/rle';
import { polygonsToRle, rleToPolygon } from '../../main/domain/polygon';
import { toHalf } from '../../main/engine/export/npy';
import { isVal } from '../../main/engine/export/yolo';

describe('COCO mask helpers', () => {
  it('compressed RLE strings round-trip (pycocotools encoding)', () => {
    const mask = new Uint8Array(20 * 30);
    for (let y = 3; y < 17; y++) for (let x = 5; x < 25; x++) if ((x + y) % 7) mask[y * 30 + x] = 1;
    const rle = encodeRle(mask, 20, 30);
    const s = encodeCountsString(rle.counts);
    expect(decodeCountsString(s)).toEqual(rle.counts);
    expect(normalizeRle({ size: [20, 30], counts: s }).counts).toEqual(rle.counts);
    // A known pycocotools string: 2x2 mask with one pixel set at (0,1) in column-major order.
    expect(decodeCountsString(encodeCountsString([1, 1, 2]))).toEqual([1, 1, 2]);
    expect(() => normalizeRle({ size: [2, 2], counts: [1, 1] })).toThrow(/sum/);
  });

  it('rasterizes polygons at pixel centres and traces masks back to polygons', () => {
    const rle = polygonsToRle([[2, 2, 8, 2, 8, 6, 2, 6]], 10, 12);
    const m = decodeRle(rle);
    let n = 0;
    for (const v of m) n += v;
    expect(n).toBe(6 * 4);
    const poly = rleToPolygon(rle)!;
    expect(decodeRle(polygonsToRle([poly], 10, 12))).toEqual(m);
    // An L shape survives the round trip exactly.
    const l = polygonsToRle([[1, 1, 4, 1, 4, 3, 2, 3, 2, 6, 1, 6]], 8, 8);
    expect(decodeRle(polygonsToRle([rleToPolygon(l)!], 8, 8))).toEqual(decodeRle(l));
    expect(rleToPolygon(encodeRle(new Uint8Array(4), 2, 2))).toBeNull();
  });
});

describe('archive member checks', () => {
  it('refuses absolute paths, .. components, links and absurd sizes', () => {
    expect(unsafeMember('000000001.jpg', 'file', 100)).toBeNull();
    expect(unsafeMember('dir/', 'directory', 0)).toBeNull();
    expect(unsafeMember('/etc/passwd', 'file', 1)?.kind).toBe('archive_absolute_path');
    expect(unsafeMember('C:\\x.jpg', 'file', 1)?.kind).toBe('archive_absolute_path');
    expect(unsafeMember('a/../../x', 'file', 1)?.kind).toBe('archive_traversal');
    expect(unsafeMember('x', 'symlink', 0)?.kind).toBe('archive_link');
    expect(unsafeMember('x', 'link', 0)?.kind).toBe('archive_link');
    expect(unsafeMember('x', 'file', 2 ** 40)?.kind).toBe('archive_member_too_large');
  });
});

describe('export helpers', () => {
  it('float16 conversion matches IEEE half', () => {
    expect([0, 1, -2, 0.5, 65504, 1e9, 6e-8].map(toHalf)).toEqual([0x0000, 0x3c00, 0xc000, 0x3800, 0x7bff, 0x7c00, 0x0001]);
  });
  it('the YOLO split is deterministic per seed and roughly the asked fraction', () => {
    const val = Array.from({ length: 2000 }, (_, i) => isVal('s', i, 0.2)).filter(Boolean).length;
    expect(val).toBeGreaterThan(320);
    expect(val).toBeLessThan(480);
    expect(isVal('s', 7, 0.2)).toBe(isVal('s', 7, 0.2));
  });
});

describe('streaming JSON arrays', () => {
  it('yields the elements of chosen top-level arrays across tiny chunks, ignoring look-alikes in strings and nested keys', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { streamTopLevelArrays } = await import('../../main/engine/ingest/json-stream');
    const { tempDir } = await import('../fixtures/images');
    const doc = {
      info: { images: [{ id: 'nested, not top level' }], note: 'a "quoted" ] } [ { string' },
      images: [{ id: 1, file_name: 'a\u00e9.jpg' }, { id: 2, file_name: 'b}.jpg', extra: { deep: [1, { x: '{' }] } }],
      licenses: [],
      annotations: [{ id: 7, image_id: 2, bbox: [1, 2, 3, 4], segmentation: [[1, 2, 3, 4, 5, 6]] }],
    };
    const file = `${await tempDir()}/doc.json`;
    await writeFile(file, JSON.stringify(doc, null, 1));
    for (const chunk of [1, 3, 7, 1 << 20]) {
      const got: [string, unknown][] = [];
      await streamTopLevelArrays(file, new Set(['images', 'annotations']), (k, v) => got.push([k, v]), undefined, chunk);
      expect(got).toEqual([['images', doc.images[0]], ['images', doc.images[1]], ['annotations', doc.annotations[0]]]);
    }
    await writeFile(file, '{"images": [{"id": 1}');
    await expect(streamTopLevelArrays(file, new Set(['images']), () => undefined)).rejects.toThrow(/truncated/);
  });
});
