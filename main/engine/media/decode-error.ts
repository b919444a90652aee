// libvips (through sharp) reports decode failures in its own terms ("VipsJpeg: Bogus Huffman table definition",
// "vipspng: libpng read error"). Issues say what happened in plain words; the raw text goes to the issue's `detail`.
const RULES: [RegExp, string][] = [
  [/input (file|buffer) is (missing|empty)|is empty/i, 'the file is empty or missing'],
  [/ENOENT|no such file|EACCES|permission denied|EISDIR|EIO\b|file of item \d+ is missing/i, 'the file is missing or cannot be read'],
  [/lies outside its source/i, 'the file lies outside its source folder (moved or linked elsewhere), so Winnow does not read it'],
  [/^unknown error$/i, 'the image could not be decoded (the decoder gave no reason)'],
  [/exceeds pixel limit/i, 'the image is larger than the pixel limit (possible decompression bomb)'],
  [/unsupported image format|not a known (file )?format|is not in a known format/i, 'not an image format Winnow can read (unknown or damaged file)'],
  [/premature end|unexpected end|truncated|end of (jpeg|gif|file|data)|read error|out of data/i, 'the image is cut off (the file ends before the image does)'],
  [/huffman|bogus|corrupt jpeg|invalid jpeg|jpeg datastream|marker/i, 'the JPEG data is damaged'],
  [/crc error|bad adler|invalid (png|chunk)|incorrect header check|png/i, 'the PNG data is damaged'],
  [/webp/i, 'the WebP data is damaged'],
  [/gif/i, 'the GIF data is damaged'],
  [/tiff|tif/i, 'the TIFF data is damaged'],
  [/heif|avif/i, 'the HEIF/AVIF data is damaged or uses an unsupported codec'],
  [/corrupt header/i, 'the image header is damaged'],
];

/** A decoder's message in plain words, and the raw text kept as the detail. */
export function plainDecodeError(raw: string): { message: string; detail: string } {
  // libvips repeats a message once per thread that met it: each distinct line once.
  const text = [...new Set(raw.split('\n').map((l) => l.trim()).filter(Boolean))].join('\n');
  const hit = RULES.find(([re]) => re.test(text));
  return { message: hit ? hit[1] : 'the image could not be decoded', detail: text };
}
