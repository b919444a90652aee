// The grid's cached thumbnail file: the WebP as rendered, then a trailer holding the stamp of the file it was made
// from (source-stamp.ts), so a source replaced by another picture, whatever its mtime, gets a new thumbnail.
// The trailer lies after the WebP's RIFF chunk, where WebP readers stop (libwebp reads only the RIFF's declared
// size): the file stays a WebP that libvips decodes by path (thumbnail-input.ts), with no second file to keep in
// step and no old file left behind. Thumbnails made before the stamp have no trailer: they are stale once.
import { holdsStamp, STAMP_BYTES } from './source-stamp';

const MAGIC = Buffer.from('WNTS', 'latin1');
const TRAILER = MAGIC.length + STAMP_BYTES;

/** The thumbnail file's bytes for a WebP rendered from the file `stamp` describes. */
export function stampedThumbnail(webp: Buffer, stamp: Uint8Array): Buffer {
  return Buffer.concat([webp, MAGIC, stamp]);
}

/**
 * The WebP in a thumbnail file when it was made from the file `stamp` describes; null for another file's, an
 * unstamped (older) one, or a damaged one (its RIFF size must end exactly at the trailer).
 */
export function thumbnailWebp(bytes: Buffer, stamp: Uint8Array): Buffer | null {
  const end = trailerAt(bytes);
  return end !== null && holdsStamp(bytes, end + MAGIC.length, stamp) ? bytes.subarray(0, end) : null;
}

/** The WebP in a well-formed stamped thumbnail file, whatever file it was made from (for a source that is offline). */
export function unstampedWebp(bytes: Buffer): Buffer | null {
  const end = trailerAt(bytes);
  return end === null ? null : bytes.subarray(0, end);
}

/** Where the trailer starts, when the RIFF's declared size ends exactly there and the magic follows; else null. */
function trailerAt(bytes: Buffer): number | null {
  const end = bytes.length - TRAILER;
  if (end < 12 || bytes.readUInt32LE(4) + 8 !== end) return null;
  return bytes.compare(MAGIC, 0, MAGIC.length, end, end + MAGIC.length) === 0 ? end : null;
}
