// The images the model passes read, item by item: which items have local pixels, and what to decode for
// each (the file, the archive member's bytes, or a cached thumbnail standing in for the file). Shared by the
// embed job and the import-time input pass so both see the same items and the same sources.
import { readEmbedded } from '../media/embedded';
import { itemFileResolver, type ItemLocation } from '../media/resolve';
import type { Project } from '../project';
import { cachedInput } from './input-cache';
import type { PreprocessInput } from './preprocess';
import type { PreprocessSpec } from './preprocess-spec';
import { thumbnailInput } from './thumbnail-input';

/** Items whose pixels are here: local files, and URL-only items once the download job has fetched them. */
export const LOCAL_ITEMS = `FROM items i WHERE ((i.uri NOT LIKE 'http://%' AND i.uri NOT LIKE 'https://%') OR json_extract(i.provenance, '$.downloaded') IS NOT NULL)`;

/** The columns an item row needs for `itemInputs` (select them from `items i`). */
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

/**
 * What a pass preprocesses for each item. For a model whose inputs are cached (input-cache.ts): the item's entry
 * when it is fresh, else the image to decode through the cache so the entry is made. `thumbnails` (the embed
 * job, read through the pool, which asks `onMiss` when the entry cannot be used): with no usable entry, a cached thumbnail that covers the model's input is decoded instead of a full-size
 * file (thumbnail-input.ts; close to full decoding, not equal, so its entry is marked not exact). Without
 * `thumbnails` (the import-time pass) only entries made from the original count, and only the original is decoded.
 */
export function itemInputs(project: Project, spec: PreprocessSpec, thumbnails: boolean): (row: ItemSourceRow) => Promise<PreprocessInput> {
  const resolve = itemFileResolver(project);
  return async (row) => {
    const location: ItemLocation = { id: row.id, uri: row.uri, sourceId: row.sourceId, provenance: row.provenance ? (JSON.parse(row.provenance) as Record<string, unknown>) : null };
    const resolved = await resolve(location);
    const original = resolved.embedded ? new Uint8Array(await readEmbedded(resolved.file, resolved.embedded)) : resolved.file;
    // The embed job's reader (the pool) tries the entry's read without an existence check first; the thumbnail is looked up only on a miss.
    const cached = cachedInput(project.thumbsDir, spec, row.id, resolved.file, original, true, resolved.stats, !thumbnails);
    if (!thumbnails) return cached ? { ...cached, requireExact: true } : original;
    if (!cached) return (resolved.embedded ? null : thumbnailInput(project.thumbsDir, row.id, resolved.file, row, spec, resolved.stats)) ?? original;
    // The file vanished (no stamp): nothing to read, and decoding the original reports it.
    if (!cached.fresh || resolved.embedded) return cached;
    cached.onMiss = () => {
      const thumb = thumbnailInput(project.thumbsDir, row.id, resolved.file, row, spec, resolved.stats);
      return thumb ? { ...cached, fresh: false, onMiss: undefined, source: thumb, exact: false } : { ...cached, fresh: false, onMiss: undefined };
    };
    return cached;
  };
}
