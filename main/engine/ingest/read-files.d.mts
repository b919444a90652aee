// Types of read-files.mjs (plain JavaScript so that a worker thread runs it without a TypeScript loader).
import type { imageSize as ImageSizeFn } from 'image-size';

/** An image's bytes as read: size, sha256 and what its header says (`sizeError` when the header parser refused it). */
export interface ImageBytes {
  bytes: number;
  sha256: string;
  type: string | null;
  width: number | null;
  height: number | null;
  orientation: number | null;
  sizeError: string | null;
}
export type ImageRead = ImageBytes | { ioError: string };
export type TextRead = { text: string } | { error: string };
export type ReadRequest = { id: number; op: 'images' | 'texts'; files: string[] };
export type ReadReply = { ready: true } | { id: number; out: ImageRead[] | TextRead[] };

export declare const READ_WORKER: string;
export declare function imageSize(input: Uint8Array): ReturnType<typeof ImageSizeFn>;
export declare function describeBytes(buf: Buffer): ImageBytes;
/** The whole of `file` when it is at most `limit` bytes (a view the next small read overwrites), else null; throws fs errors. `reads`: at most this many read calls (default: to the end of the file). */
export declare function readSmallFile(file: string, limit: number, reads?: number): Buffer | null;
export declare function readImages(files: string[]): Promise<ImageRead[]>;
export declare function readTexts(files: string[]): Promise<TextRead[]>;
