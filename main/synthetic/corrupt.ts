// Broken files as they show up in scraped datasets. Only wrong_extension is still a readable image.
import type { Rng } from './random';

export const CORRUPTIONS = ['truncated_jpeg', 'random_bytes', 'empty_file', 'wrong_extension'] as const;
export type Corruption = (typeof CORRUPTIONS)[number];

export function isReadableCorruption(kind: Corruption): boolean {
  return kind === 'wrong_extension';
}

/**
 * Bytes written under a .jpg name. `jpeg` and `png` are the same scene encoded both ways;
 * truncation keeps 30-70% so the header parses but the scan data ends early.
 */
export function corruptBytes(rng: Rng, kind: Corruption, jpeg: Buffer, png: Buffer): Buffer {
  switch (kind) {
    case 'truncated_jpeg':
      return Buffer.from(jpeg.subarray(0, Math.floor(jpeg.length * rng.uniform(0.3, 0.7))));
    case 'random_bytes': {
      const bytes = rng.bytes(rng.int(2_000, 20_000));
      // Never let noise start with a real image signature by chance.
      bytes[0] = 0x00;
      return bytes;
    }
    case 'empty_file':
      return Buffer.alloc(0);
    case 'wrong_extension':
      return png;
  }
}
