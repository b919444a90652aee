// The reviewed detection proposals as a region cache: each reviewed box (or mask's box) of the asked
// labels is cropped from its item and embedded by the image tower, then fitted (region-cache.ts). The
// detector's own score is what the cache adjusts, so a proposal stored with an adapted score is read
// back through its `detectorScore`.
import type { Box } from '../../domain/rle';
import { readItemBytes } from '../media/resolve';
import type { Project } from '../project';
import type { ClipModel } from '../vision/clip-model';
import { fitRegionCache, type RegionExample, type RegionFit } from './region-cache';
import { embedRegions } from './region-embed';

interface ReviewedBox { itemId: number; label: string; score: number; state: string; bbox: string }

/** Reviewed boxes beyond this many (most recent first) are left out: the fit is quadratic in their number. */
export const REGION_REVIEW_LIMIT = 3000;

export async function regionTraining(project: Project, clip: ClipModel, labels: readonly string[], onIssue?: (itemId: number, reason: string) => void): Promise<{ fit: RegionFit; examples: number } | null> {
  const asked = new Set(labels);
  const rows = (project.db.prepare(`SELECT item_id itemId, label, coalesce(json_extract(params, '$.detectorScore'), score) score, state, bbox FROM annotations
    WHERE kind IN ('box', 'mask') AND score IS NOT NULL AND bbox IS NOT NULL AND json_extract(params, '$.run') = 'detect'
    AND state IN ('accepted', 'edited', 'rejected') ORDER BY updated_at DESC, id DESC LIMIT ?`).all(REGION_REVIEW_LIMIT) as ReviewedBox[]).filter((r) => asked.has(r.label));
  if (!rows.some((r) => r.state === 'rejected') || !rows.some((r) => r.state !== 'rejected')) return null;
  const byItem = new Map<number, ReviewedBox[]>();
  for (const r of rows) byItem.set(r.itemId, [...(byItem.get(r.itemId) ?? []), r]);
  const examples: RegionExample[] = [];
  const keys: Float32Array[] = [];
  for (const [itemId, boxes] of [...byItem].sort((a, b) => a[0] - b[0])) {
    try {
      const { data } = await readItemBytes(project, itemId);
      const emb = await embedRegions(clip, data, boxes.map((b) => JSON.parse(b.bbox) as Box));
      boxes.forEach((b, i) => {
        examples.push({ label: b.label, score: b.score, accepted: b.state !== 'rejected', group: itemId });
        keys.push(emb.subarray(i * clip.dim, (i + 1) * clip.dim));
      });
    } catch (error) {
      onIssue?.(itemId, `cannot embed its reviewed boxes: ${(error as Error).message}`);
    }
  }
  const flat = new Float32Array(keys.length * clip.dim);
  keys.forEach((k, i) => flat.set(k, i * clip.dim));
  return { fit: fitRegionCache(examples, flat, clip.dim), examples: examples.length };
}
