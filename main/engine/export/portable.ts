// The annotation fields every writer shares: image-level labels and objects (boxes, masks) with score, review state and origin.
import { encodeCountsString, rleBbox, type Box, type CocoRle } from '../../domain/rle';
import type { Annotation } from '../store/annotations';
import type { Tally } from './tally';
import type { ExportRecord } from './types';

export interface PortableLabel { label: string; score: number | null; state: string; origin: string }
export interface PortableObject { kind: 'box' | 'mask'; label: string; bbox: Box; score: number | null; state: string; origin: string; rle: CocoRle | null }

/**
 * A mask's box is the mask's tight box unless a person edited it (state 'edited') or the source gave it (kept as given, so a
 * round trip is exact); a model's loose proposal box never goes out with a mask it does not enclose tightly.
 */
export function exportBox(a: Annotation): Box | null {
  if (a.rle && a.state !== 'edited' && a.state !== 'source') return rleBbox(a.rle) ?? a.bbox;
  return a.bbox;
}

export function labelsOf(anns: Annotation[]): PortableLabel[] {
  return anns.filter((a) => a.kind === 'label').map((a) => ({ label: a.label, score: a.score, state: a.state, origin: a.origin }));
}

export function objectsOf(anns: Annotation[]): PortableObject[] {
  const out: PortableObject[] = [];
  for (const a of anns) {
    if (a.kind === 'label') continue;
    const bbox = exportBox(a);
    if (!bbox) continue;
    out.push({ kind: a.rle ? 'mask' : 'box', label: a.label, bbox, score: a.score, state: a.state, origin: a.origin, rle: a.rle });
  }
  return out;
}

/** Objects as JSON (masks as COCO RLE with a compressed counts string), the shape every JSON-carrying writer uses. */
export interface ObjectJson { kind: 'box' | 'mask'; label: string; bbox: Box; score: number | null; state: string; origin: string; segmentation?: { size: [number, number]; counts: string } }

export interface PortableFields { labels: PortableLabel[]; objects: ObjectJson[]; scores: Record<string, number> }

/** Labels, objects and chosen scores of one record, counted into the writer's tally as they are taken. */
export function portableFields(r: ExportRecord, tally: Tally): PortableFields {
  const labels = labelsOf(r.annotations);
  for (const l of labels) tally.label(l.label, l.origin);
  const objects = objectsOf(r.annotations).map((o): ObjectJson => {
    tally.object(o.label, o.origin, o.rle !== null);
    const out: ObjectJson = { kind: o.kind, label: o.label, bbox: o.bbox, score: o.score, state: o.state, origin: o.origin };
    if (o.rle) out.segmentation = { size: o.rle.size, counts: encodeCountsString(o.rle.counts) };
    return out;
  });
  const scores: Record<string, number> = {};
  for (const s of r.scores) {
    scores[s.name] = s.value;
    tally.score(s.name, s.model);
  }
  return { labels, objects, scores };
}

export const urlOf = (r: ExportRecord): string | null =>
  (typeof r.item.extra?.url === 'string' ? r.item.extra.url : /^https?:/i.test(r.item.uri) ? r.item.uri : null);
