import type { Project } from '../project';
import { plainDecodeError } from './decode-error';

/**
 * The one flag for "Winnow could not decode this item's pixels": an issue of this kind with the item's id. The stats job
 * records it for every item it cannot decode (and the embed job and the media server when they meet one first); exports and
 * the `unreadable` rule read it. Recorded once per item: same kind, source, item and location (the item's key).
 */
export const UNDECODABLE = 'decode_failed';

/** Records the item as undecodable, in plain words with the decoder's raw message as detail; true when newly recorded. */
export function recordUndecodable(project: Project, itemId: number, raw: string, opts: { jobId?: number | null; what?: string } = {}): boolean {
  if (project.issues.has(itemId, UNDECODABLE)) return false;
  const item = project.items.get(itemId);
  const plain = plainDecodeError(raw);
  return project.issues.add({
    kind: UNDECODABLE, message: `${opts.what ?? 'cannot decode'} ${item?.key ?? `item ${itemId}`}: ${plain.message}`, detail: plain.detail,
    itemId, sourceId: item?.sourceId ?? null, jobId: opts.jobId ?? null, location: item?.key ?? null,
  });
}
