import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertAcceptedImage } from '../ingest/image-formats';
import sharp, { type Sharp } from './lazy-sharp';
import type { MediaKind } from '../../domain/project';
import { ApiError } from '../../domain/errors';
import { MAX_PIXELS } from '../ingest/probe';
import type { Project } from '../project';
import { readEmbedded } from './embedded';
import { itemFileResolver, itemLocation, resolveItemFile, resolveItemWith, type ResolvedItemFile } from './resolve';
import { currentStamp } from './source-stamp';
import { stampedThumbnail, thumbnailWebp, unstampedWebp } from './thumbnail-file';
import { plainDecodeError } from './decode-error';
import { recordUndecodable } from './undecodable';

export const THUMB_SIZE = 320;
const RESOLVER_LIFE_MS = 1000;
const BROWSER_FORMATS: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif', avif: 'image/avif' };

export interface Media { body: Buffer; contentType: string }

/** An upright image (sharp, EXIF-rotated) as the grid's thumbnail: WebP, at most THUMB_SIZE on its longer side. */
export function renderThumbnail(img: Sharp): Promise<Buffer> {
  // Resizing lets libvips shrink on load (JPEG/WebP decode at 1/2..1/8 scale), so big originals stay cheap.
  return img.resize({ width: THUMB_SIZE, height: THUMB_SIZE, fit: 'inside', withoutEnlargement: true }).webp({ quality: 78 }).toBuffer();
}

/** Where an item's cached thumbnail lives (a WebP, at most THUMB_SIZE on its longer side, already upright; thumbnail-file.ts). */
export function thumbnailPath(thumbsDir: string, itemId: number): string {
  return path.join(thumbsDir, String(Math.floor(itemId / 1000)), `${itemId}.webp`);
}

/** Thumbnails (made on first request, cached in the project while their file is unchanged) and full images, for the protocol and /media. */
export class MediaService {
  private readonly inFlight = new Map<number, Promise<Media>>();
  private resolver: ReturnType<typeof itemFileResolver> | null = null;

  constructor(private readonly project: Project) {}

  get(kind: MediaKind, itemId: number): Promise<Media> {
    return kind === 'thumb' ? this.thumb(itemId) : this.image(itemId);
  }

  thumbPath(itemId: number): string {
    return thumbnailPath(this.project.thumbsDir, itemId);
  }

  private thumb(itemId: number): Promise<Media> {
    let pending = this.inFlight.get(itemId);
    if (!pending) {
      pending = this.makeThumb(itemId).finally(() => this.inFlight.delete(itemId));
      this.inFlight.set(itemId, pending);
    }
    return pending;
  }

  /**
   * Locating files cell by cell: a resolver keeps the source roots and the folders it resolved, so a cell in a folder
   * it has seen costs one lstat (which is also the stamp's stat), not a realpath of every component. It is kept for a
   * second, as a pass keeps one for its run: a folder swapped for a link, or a source removed, is seen a second later.
   */
  private locate(itemId: number): Promise<ResolvedItemFile> {
    if (!this.resolver) {
      this.resolver = itemFileResolver(this.project);
      setTimeout(() => (this.resolver = null), RESOLVER_LIFE_MS).unref();
    }
    return resolveItemWith(this.project, this.resolver, itemId);
  }

  private async makeThumb(itemId: number): Promise<Media> {
    const cached = this.thumbPath(itemId);
    let located: ResolvedItemFile;
    try {
      located = await this.locate(itemId);
    } catch (err) {
      const offline = await this.offlineThumb(itemId, cached);
      if (offline) return offline;
      throw err;
    }
    const { file, embedded, stats } = located;
    // The file the pixels come from (a tar or parquet file for an embedded item), stamped before it is read, so a
    // file changed while it decodes leaves a thumbnail the next request refuses.
    const stamp = currentStamp(file, stats);
    if (stamp) {
      try {
        const body = thumbnailWebp(await readFile(cached), stamp);
        if (body) return { body, contentType: 'image/webp' };
      } catch {
        // not cached yet
      }
    }
    // Tar members and parquet cells are read by range into memory; plain files are opened by libvips.
    const input = embedded ? await readEmbedded(file, embedded) : file;
    const body = await this.decode(itemId, input, renderThumbnail);
    if (!stamp) return { body, contentType: 'image/webp' };
    await mkdir(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    await writeFile(tmp, stampedThumbnail(body, stamp));
    await rename(tmp, cached);
    return { body, contentType: 'image/webp' };
  }

  /**
   * A known item whose file cannot be reached now (a drive unplugged, a share offline) keeps the thumbnail it had: the
   * file was not replaced by another picture, it is absent, and a grid of blank cells helps no curator. Nothing is
   * rendered or rewritten; the full image still fails with the resolver's message.
   */
  private async offlineThumb(itemId: number, cached: string): Promise<Media | null> {
    if (!itemLocation(this.project, itemId)) return null;
    try {
      const body = unstampedWebp(await readFile(cached));
      return body ? { body, contentType: 'image/webp' } : null;
    } catch {
      return null;
    }
  }

  private async image(itemId: number): Promise<Media> {
    const { file, format, embedded } = await resolveItemFile(this.project, itemId);
    const input = embedded ? await readEmbedded(file, embedded) : file;
    const type = format ? BROWSER_FORMATS[format] : undefined;
    if (type) return { body: typeof input === 'string' ? await readFile(input) : input, contentType: type };
    return { body: await this.decode(itemId, input, (img) => img.png().toBuffer()), contentType: 'image/png' };
  }

  private async decode(itemId: number, file: string | Buffer, render: (img: Sharp) => Promise<Buffer>): Promise<Buffer> {
    try {
      // The file may have changed since import: its bytes are checked again before libvips parses them.
      const bytes = typeof file === 'string' ? await readFile(file) : file;
      assertAcceptedImage(bytes);
      return await render(sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' }).rotate());
    } catch (err) {
      const raw = (err as Error).message;
      if (recordUndecodable(this.project, itemId, raw)) this.project.notifyItemsChanged(null, 0, true);
      throw new ApiError('bad_input', `cannot decode ${typeof file === 'string' ? path.basename(file) : `item ${itemId}`}: ${plainDecodeError(raw).message} (${raw})`);
    }
  }
}
