import { polygonsToRle } from '../../domain/polygon';
import type { NewAnnotation } from '../store/annotations';
import { fitBox } from './box-bounds';
import type { EntryAnnotation, EntryProblem } from './entry';

export type FinalAnnotation = NewAnnotation;

/** Turns a source's annotations into stored ones: normalized coordinates → pixels, polygons → RLE (origin 'source'). */
export function finalizeAnnotations(list: EntryAnnotation[] | undefined, width: number | null, height: number | null, itemKey = ''): { annotations: FinalAnnotation[]; problems: EntryProblem[] } {
  if (!list?.length) return { annotations: [], problems: [] };
  const out: FinalAnnotation[] = [];
  const problems: EntryProblem[] = [];
  for (const a of list) {
    const refuse = (message: string, kind = 'bad_annotation') => problems.push({ kind, message: `${a.kind} "${a.label}": ${message}`, location: a.location ?? itemKey });
    const needsSize = a.normalized || (a.polygons && a.polygons.length > 0);
    if (needsSize && (width === null || height === null)) {
      refuse('needs the image size, which is unknown');
      continue;
    }
    const sx = a.normalized ? width! : 1;
    const sy = a.normalized ? height! : 1;
    let bbox = a.bbox ? ([a.bbox[0] * sx, a.bbox[1] * sy, a.bbox[2] * sx, a.bbox[3] * sy] as [number, number, number, number]) : null;
    if (bbox && bbox.some((v) => !Number.isFinite(v))) {
      refuse('box is not numeric');
      continue;
    }
    let rle = a.rle ?? null;
    const params: Record<string, unknown> = { ...(a.params ?? {}) };
    if (a.polygons?.length) {
      const px = a.polygons.map((p) => p.map((v, i) => v * (i % 2 === 0 ? sx : sy)));
      if (a.normalized) params.polygons_normalized = a.polygons;
      else params.polygons = a.polygons;
      rle = polygonsToRle(px, height!, width!);
      if (!bbox) {
        const xs = px.flatMap((p) => p.filter((_, i) => i % 2 === 0));
        const ys = px.flatMap((p) => p.filter((_, i) => i % 2 === 1));
        const x0 = Math.min(...xs), y0 = Math.min(...ys);
        bbox = [x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0];
      }
    }
    if (rle && width !== null && height !== null && (rle.size[0] !== height || rle.size[1] !== width)) {
      refuse(`mask is ${rle.size[1]}×${rle.size[0]}, image is ${width}×${height}`);
      continue;
    }
    if (bbox && width !== null && height !== null) {
      const fitted = fitBox(bbox, width, height);
      if ('refused' in fitted) {
        refuse(fitted.refused);
        continue;
      }
      if (fitted.clipped) problems.push({ kind: 'box_clipped', severity: 'warning', message: `${a.kind} "${a.label}": ${fitted.clipped}`, location: a.location ?? itemKey });
      bbox = fitted.box;
    }
    out.push({
      kind: a.kind, label: a.label, score: a.score ?? null, bbox, rle, origin: 'source',
      params: Object.keys(params).length ? params : null, state: 'source', createdBy: 'import',
    });
  }
  return { annotations: out, problems };
}
