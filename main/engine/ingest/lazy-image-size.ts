// image-size loads on first use (tens of ms): commands that never read an image header (search, status) start
// without it. Same call as the package's `imageSize`.
import { createRequire } from 'node:module';
import type { imageSize as ImageSizeFn } from 'image-size';

const require = createRequire(import.meta.url);
let loaded: typeof ImageSizeFn | undefined;

export function imageSize(input: Uint8Array): ReturnType<typeof ImageSizeFn> {
  loaded ??= (require('image-size') as { imageSize: typeof ImageSizeFn }).imageSize;
  return loaded(input);
}
