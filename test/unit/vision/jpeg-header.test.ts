// The preprocessing builds its decode pipeline from a probe of the image: for JPEGs read from the marker segments
// (preprocess.ts headerProbe, jpeg-header.ts) instead of asking libvips (libvipsProbe, a second open of the image).
// The pipeline depends on nothing else, so the two probes agreeing is the pixels agreeing. Checked against libvips
// on what encoders write (every EXIF orientation, progressive, greyscale, CMYK, 4:4:4, tiny) and on EXIF blocks
// written by hand (big-endian, IFD0 further in, after the frame header); what the reader cannot be sure of gives
// null (libvips decides), and such images still decode.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegHeader } from '../../../main/engine/vision/jpeg-header';
import { headerProbe, libvipsProbe, preprocessImage } from '../../../main/engine/vision/preprocess';
import { preprocessSpecFromConfig } from '../../../main/engine/vision/preprocess-spec';
import { preprocessorConfigSchema } from '../../../main/engine/vision/model-config';

const spec = preprocessSpecFromConfig(preprocessorConfigSchema.parse({ size: { shortest_edge: 64 }, crop_size: { height: 64, width: 64 } }));

/** Stored width × height, left half red and right half blue (so a turn shows), noise for a real entropy load. */
function pixels(width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0, o = 0; y < height; y++) {
    for (let x = 0; x < width; x++, o += 3) {
      const left = x < width / 2;
      out[o] = left ? 220 : 20 + ((x * 7 + y * 3) % 23);
      out[o + 1] = (x + y) % 40;
      out[o + 2] = left ? 30 : 200 + ((x * y) % 31);
    }
  }
  return out;
}
const photo = (width: number, height: number) => sharp(pixels(width, height), { raw: { width, height, channels: 3 } });

/** An APP1 EXIF segment holding IFD0 with one entry (`tag`, `type`, count 1, `value`), IFD0 placed `ifdOffset` into the TIFF data. */
function exifSegment(value: number, { bigEndian = false, ifdOffset = 8, tag = 0x0112, type = 3 } = {}): Buffer {
  const tiff = Buffer.alloc(ifdOffset + 2 + 12 + 4);
  const u16 = (v: number, at: number) => (bigEndian ? tiff.writeUInt16BE(v, at) : tiff.writeUInt16LE(v, at));
  const u32 = (v: number, at: number) => (bigEndian ? tiff.writeUInt32BE(v, at) : tiff.writeUInt32LE(v, at));
  tiff.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(ifdOffset, 4);
  u16(1, ifdOffset);
  u16(tag, ifdOffset + 2);
  u16(type, ifdOffset + 4);
  u32(1, ifdOffset + 6);
  if (type === 3) u16(value, ifdOffset + 10);
  else u32(value, ifdOffset + 10);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

/** `segment` inserted right after the SOI marker, or right after the frame header (SOF0). */
function withSegment(jpeg: Buffer, segment: Buffer, afterFrame = false): Buffer {
  let at = 2;
  if (afterFrame) {
    while (jpeg[at + 1] !== 0xc0) at += 2 + jpeg.readUInt16BE(at + 2);
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  return Buffer.concat([jpeg.subarray(0, at), segment, jpeg.subarray(at)]);
}

describe('JPEG header probe', () => {
  it('reads what libvips reads from what encoders write: every orientation, progressive, greyscale, CMYK, 4:4:4, tiny', async () => {
    const cases: [string, Buffer][] = [
      ['baseline 900×700', await photo(900, 700).jpeg({ quality: 90 }).toBuffer()],
      ['progressive 1023×517', await photo(1023, 517).jpeg({ quality: 85, progressive: true }).toBuffer()],
      ['4:4:4 751×563', await photo(751, 563).jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer()],
      ['greyscale 640×480', await photo(640, 480).greyscale().jpeg({ quality: 90 }).toBuffer()],
      ['CMYK 300×200', await photo(300, 200).toColourspace('cmyk').jpeg({ quality: 90 }).toBuffer()],
      ['1×1', await photo(1, 1).jpeg().toBuffer()],
    ];
    for (let orientation = 1; orientation <= 8; orientation++) {
      cases.push([`EXIF orientation ${orientation}`, await photo(320, 200).jpeg({ quality: 90 }).withMetadata({ orientation }).toBuffer()]);
    }
    for (const [name, jpeg] of cases) {
      const fast = headerProbe(jpeg);
      // Not vacuous: the reader is sure of every one of these, so the fast path is the one taken.
      expect(fast, name).not.toBeNull();
      expect(fast, name).toEqual(await libvipsProbe(jpeg));
    }
    // Orientations 5–8 turn the stored 320×200 into 200×320, the others keep it.
    expect(cases.filter(([name]) => name.startsWith('EXIF')).map(([, jpeg]) => headerProbe(jpeg)!.width)).toEqual([320, 320, 320, 320, 200, 200, 200, 200]);
  });

  it('reads EXIF written by hand as libvips does: big-endian, IFD0 further in, after the frame header', async () => {
    const plain = await photo(400, 240).jpeg({ quality: 90 }).toBuffer();
    const cases: [string, Buffer, number][] = [
      ['big-endian', withSegment(plain, exifSegment(6, { bigEndian: true })), 6],
      ['IFD0 at 24, little-endian', withSegment(plain, exifSegment(8, { ifdOffset: 24 })), 8],
      ['IFD0 at 40, big-endian', withSegment(plain, exifSegment(3, { bigEndian: true, ifdOffset: 40 })), 3],
      ['EXIF after the frame header', withSegment(plain, exifSegment(5), true), 5],
      ['IFD0 without an orientation tag', withSegment(plain, exifSegment(7, { tag: 0x010f })), 1],
    ];
    for (const [name, jpeg, orientation] of cases) {
      const fast = headerProbe(jpeg);
      expect(fast?.orientation, name).toBe(orientation);
      expect(fast, name).toEqual(await libvipsProbe(jpeg));
    }
  });

  it('leaves to libvips what it is not sure of, and those images still decode', async () => {
    const plain = await photo(400, 240).jpeg({ quality: 90 }).toBuffer();
    const unsure: [string, Buffer][] = [
      ['two EXIF blocks', withSegment(withSegment(plain, exifSegment(6)), exifSegment(1))],
      ['orientation 9', withSegment(plain, exifSegment(9))],
      ['orientation 0', withSegment(plain, exifSegment(0))],
      ['orientation stored as a LONG', withSegment(plain, exifSegment(6, { type: 4 }))],
      ['IFD0 past the block', withSegment(plain, exifSegment(6, { ifdOffset: 8 }).subarray(0, 20))],
    ];
    // The cut-short block keeps a length that runs past its bytes: fix the length so only the IFD is out of reach.
    const cut = unsure[4][1];
    cut.writeUInt16BE(20 - 2, 4);
    for (const [name, jpeg] of unsure) {
      expect(headerProbe(jpeg), name).toBeNull();
      const decoded = await preprocessImage(jpeg, spec);
      const probe = await libvipsProbe(jpeg);
      expect([decoded.width, decoded.height], name).toEqual([probe.width, probe.height]);
    }
    // Not a JPEG, cut inside the header, or no frame header: null.
    expect(jpegHeader(await photo(40, 30).png().toBuffer())).toBeNull();
    expect(jpegHeader(plain.subarray(0, 60))).toBeNull();
    expect(jpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
  });
});
