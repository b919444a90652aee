// The layout shared by the filter caches' files (sorted-file.ts, bits-file.ts): an 8-byte magic, the header's JSON
// length (u32), the JSON padded with spaces so the binary body starts aligned, then the body. Written to a
// temporary name and renamed over the old file, so a crash mid-write leaves the old file or none, never a torn one.
import { fstatSync, mkdirSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The bytes of a typed array's elements [from, to) (a view, no copy): what the caches write, hash and read into. */
export const bytesOf = (a: Float64Array | Int32Array | Uint32Array, from = 0, to = a.length): Uint8Array =>
  new Uint8Array(a.buffer, a.byteOffset + from * a.BYTES_PER_ELEMENT, (to - from) * a.BYTES_PER_ELEMENT);

/** Bytes before the JSON: the magic and its length. */
const PREFIX = 8 + 4;

/** Writes `magic`, `header` and the body parts to `file` (best effort: a read-only folder or a full disk leaves no file). */
export function writeCacheFile(file: string, magic: string, header: object, align: number, body: Uint8Array[]): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    let json = JSON.stringify(header);
    json += ' '.repeat((align - ((PREFIX + Buffer.byteLength(json)) % align)) % align);
    const head = Buffer.alloc(PREFIX + Buffer.byteLength(json));
    head.write(magic, 0, 'latin1');
    head.writeUInt32LE(Buffer.byteLength(json), 8);
    head.write(json, PREFIX, 'utf8');
    writeFileSync(temp, Buffer.concat([head, ...body]));
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}

/** Where the body starts, from the file's first PREFIX bytes, or null when they are not `magic`'s. */
function headerEnd(prefix: Buffer, magic: string, size: number, align: number): number | null {
  if (prefix.toString('latin1', 0, 8) !== magic) return null;
  const end = PREFIX + prefix.readUInt32LE(8);
  return end > size || end % align !== 0 ? null : end;
}

/**
 * The header of an open cache file written for `magic` (`align` as written), where its body starts and the file's
 * size; null when it is not such a file. The header is unchecked JSON: the caller checks what it uses.
 */
export function readHeader(fd: number, magic: string, align: number): { header: unknown; end: number; size: number } | null {
  const size = fstatSync(fd).size;
  const prefix = Buffer.alloc(PREFIX);
  const end = size >= PREFIX && readFully(fd, prefix, 0) ? headerEnd(prefix, magic, size, align) : null;
  if (end === null) return null;
  const json = Buffer.alloc(end - PREFIX);
  if (!readFully(fd, json, PREFIX)) return null;
  try {
    return { header: JSON.parse(json.toString('utf8')), end, size };
  } catch {
    return null;
  }
}

/** Fills `target` from `position` of an open file (false: the file ended first). */
export function readFully(fd: number, target: Uint8Array, position: number): boolean {
  for (let got = 0; got < target.length;) {
    const n = readSync(fd, target, got, target.length - got, position + got);
    if (n === 0) return false;
    got += n;
  }
  return true;
}
