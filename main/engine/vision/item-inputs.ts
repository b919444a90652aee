// The images the model passes read, item by item: which items have local pixels, and what to decode for
// each (the file, the archive member's bytes, or a cached thumbnail standing in for the file). Shared by the
// embed job and the import-time input pass so both see the same items and the same sources.
import { readEmbedded } from '../media/embedded';
import { itemFileResolver, type ItemLocation } from '../media/resolve';
import type { Project } from '../project';
import type { PreprocessSpec } from './preprocess-spec';
import { thumbnailInput } from './thumbnail-input';

/** Items whose pixels are here: local files, and URL-only items once the download job has fetched them. */
export const LOCAL_ITEMS = `FROM items i WHERE ((i.uri NOT LIKE 'http://%' AND i.uri NOT LIKE 'https://%') OR json_extract(i.provenance, '$.downloaded') IS NOT NULL)`;

/** The columns an item row needs for `itemSources` (select them from `items i`). */
export const ITEM_SOURCE_COLUMNS = 'i.id, i.uri, i.source_id sourceId, i.provenance, i.width, i.height';

export interface ItemSourceRow {
  id: number;
  uri: string;
  sourceId: number;
  /** As stored (JSON text). */
  provenance: string | null;
  width: number | null;
  height: number | null;
}

export interface ItemSource {
  /** The file the item lives in (the image, or the archive holding it): a cache entry older than it is stale. */
  file: string;
  /** What to decode: a path (workers read it) or the bytes of an archive member. */
  source: string | Uint8Array;
  /** `source` is the original image, not its thumbnail. */
  exact: boolean;
}

/**
 * What to decode for each item of a pass. With `thumbnails`, a cached thumbnail that covers the model's input
 * is taken instead of a full-size file (thumbnail-input.ts): close to full decoding, not equal to it.
 */
export function itemSources(project: Project, spec: PreprocessSpec, thumbnails: boolean): (row: ItemSourceRow) => Promise<ItemSource> {
  const resolve = itemFileResolver(project);
  return async (row) => {
    const location: ItemLocation = { id: row.id, uri: row.uri, sourceId: row.sourceId, provenance: row.provenance ? (JSON.parse(row.provenance) as Record<string, unknown>) : null };
    const resolved = await resolve(location);
    if (resolved.embedded) return { file: resolved.file, source: new Uint8Array(await readEmbedded(resolved.file, resolved.embedded)), exact: true };
    const thumb = thumbnails ? thumbnailInput(project.thumbsDir, row.id, resolved.file, row, spec) : null;
    return { file: resolved.file, source: thumb ?? resolved.file, exact: thumb === null };
  };
}
