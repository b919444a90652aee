// The images the model passes read, item by item: which items have local pixels, and what to decode for
// each (the file, the archive member's bytes, or a cached thumbnail standing in for the file). Shared by the
// embed job and the import-time input pass so both see the same items and the same sources.
import { readItemBytes, resolveItemFile } from '../media/resolve';
import type { Project } from '../project';
import type { PreprocessSpec } from './preprocess-spec';
import { thumbnailInput } from './thumbnail-input';

/** Items whose pixels are here: local files, and URL-only items once the download job has fetched them. */
export const LOCAL_ITEMS = `FROM items i WHERE ((i.uri NOT LIKE 'http://%' AND i.uri NOT LIKE 'https://%') OR json_extract(i.provenance, '$.downloaded') IS NOT NULL)`;

export interface ItemSource {
  /** The file the item lives in (the image, or the archive holding it): a cache entry older than it is stale. */
  file: string;
  /** What to decode: a path (workers read it) or the bytes of an archive member. */
  source: string | Uint8Array;
  /** `source` is the original image, not its thumbnail. */
  exact: boolean;
}

/**
 * What to decode for an item. With `thumbnails`, a cached thumbnail that covers the model's input is taken
 * instead of a full-size file (thumbnail-input.ts): close to full decoding, not equal to it.
 */
export async function itemSource(project: Project, row: { id: number; width: number | null; height: number | null }, spec: PreprocessSpec, thumbnails: boolean): Promise<ItemSource> {
  const resolved = await resolveItemFile(project, row.id);
  if (resolved.embedded) return { file: resolved.file, source: new Uint8Array((await readItemBytes(project, row.id)).data), exact: true };
  const thumb = thumbnails ? thumbnailInput(project.thumbsDir, row.id, resolved.file, row, spec) : null;
  return { file: resolved.file, source: thumb ?? resolved.file, exact: thumb === null };
}
