// image-size loads on first use (tens of ms): commands that never read an image header (search, status) start
// without it. The loader lives in read-files.mjs, which the import's read worker runs as plain JavaScript.
export { imageSize } from './read-files.mjs';
