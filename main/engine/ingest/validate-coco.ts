// What a COCO file must hold for Winnow to trust it; each rule's failure becomes an issue with where it was found.
// Images: an integer id, unique in the file (a repeated id keeps the first image). Categories: an integer id and a name.
// Annotations: an image_id naming an image of the file; a category_id from the file's categories (or a caption);
// a bbox of 4 finite numbers; polygons of ≥ 3 finite points; an RLE that decodes (checked where it is decoded).
import { TooDeepElement } from './json-stream';
import { MAX_JSON_DEPTH } from './json-depth';

export interface CocoProblem { kind: string; message: string; location: string }

const show = (v: unknown) => (typeof v === 'string' ? `"${v.slice(0, 40)}"` : v === undefined ? 'missing' : JSON.stringify(v)?.slice(0, 40) ?? String(v));

/** Where an element sits: `instances.json:image 7`, `instances.json:annotation 12` (its id, else its position `#3`). */
export function cocoLocation(file: string, key: 'images' | 'annotations' | 'categories', element: unknown, index: number): string {
  const id = element && typeof element === 'object' && !(element instanceof TooDeepElement) ? (element as { id?: unknown }).id : undefined;
  const noun = key === 'images' ? 'image' : key === 'annotations' ? 'annotation' : 'category';
  return `${file}:${noun} ${typeof id === 'number' || typeof id === 'string' ? String(id) : `#${index + 1}`}`;
}

/** A too-deep element or a non-object: the element is refused whole. */
export function cocoElementProblem(element: unknown, location: string): CocoProblem | null {
  if (element instanceof TooDeepElement) {
    return { kind: 'too_deep', message: `${location} is nested more than ${MAX_JSON_DEPTH} levels deep (at least ${element.depth}): refused`, location };
  }
  if (!element || typeof element !== 'object' || Array.isArray(element)) return { kind: 'bad_row', message: `${location} is not a JSON object`, location };
  return null;
}

/** An image's id must be an integer not seen before in the file. */
export function cocoImageProblem(image: Record<string, unknown>, seen: ReadonlySet<number>, location: string): CocoProblem | null {
  const id = image.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) {
    return { kind: 'bad_row', message: `image id ${show(id)} is not an integer (COCO image ids are integers): the image and its annotations are not imported`, location };
  }
  if (seen.has(id)) return { kind: 'duplicate_id', message: `image id ${id} appears again (file_name ${show(image.file_name)}): the first image with this id is kept`, location };
  return null;
}

export function cocoCategoryProblem(category: Record<string, unknown>, seen: { has(id: number): boolean }, location: string): CocoProblem | null {
  const id = category.id;
  if (typeof id !== 'number' || !Number.isInteger(id)) return { kind: 'bad_row', message: `category id ${show(id)} is not an integer: category not imported`, location };
  if (typeof category.name !== 'string' || !category.name.trim()) return { kind: 'bad_row', message: `category ${id} has no name: category not imported`, location };
  if (seen.has(id)) return { kind: 'duplicate_id', message: `category id ${id} appears again: the first one is kept`, location };
  return null;
}

/** An annotation's image_id must be an integer (whether that image exists is checked once all images are read). */
export function cocoAnnotationImageProblem(ann: Record<string, unknown>, location: string): CocoProblem | null {
  const id = ann.image_id;
  if (typeof id !== 'number' || !Number.isInteger(id)) return { kind: 'dangling_annotation', message: `annotation's image_id ${show(id)} is not an integer image id: annotation not imported`, location };
  return null;
}

export const danglingProblem = (imageId: number, location: string): CocoProblem => ({
  kind: 'dangling_annotation', message: `annotation refers to image_id ${imageId}, which is not an image of this file: annotation not imported`, location,
});

const finiteList = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));

/** What is wrong with an annotation of an existing image, or null; the caller leaves a refused annotation out. */
export function cocoAnnotationProblem(ann: Record<string, unknown>, categories: ReadonlyMap<number, string>, location: string): CocoProblem | null {
  const refuse = (message: string, kind = 'bad_annotation') => ({ kind, message: `${message}: annotation not imported`, location });
  const category = ann.category_id;
  if (category === undefined) return typeof ann.caption === 'string' ? null : refuse('annotation has neither a category_id nor a caption');
  if (typeof category !== 'number' || !categories.has(category)) return refuse(`category_id ${show(category)} is not one of the file's categories`, 'unknown_category');
  if (ann.bbox !== undefined && !(finiteList(ann.bbox) && ann.bbox.length === 4)) return refuse(`bbox ${show(ann.bbox)} is not 4 numbers [x, y, width, height]`);
  const seg = ann.segmentation;
  if (Array.isArray(seg) && seg.length && !seg.every((p) => finiteList(p) && p.length >= 6 && p.length % 2 === 0)) {
    return refuse('segmentation polygons must be lists of at least 3 x, y number pairs');
  }
  if (seg !== undefined && !Array.isArray(seg) && (typeof seg !== 'object' || seg === null || !('counts' in seg))) return refuse(`segmentation ${show(seg)} is neither polygons nor an RLE`);
  if (seg && !Array.isArray(seg) && typeof seg === 'object') {
    const { size, counts } = seg as { size?: unknown; counts?: unknown };
    if (!(finiteList(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0))) return refuse(`malformed RLE: size ${show(size)} is not [height, width]`);
    if (typeof counts !== 'string' && !(finiteList(counts) && counts.every((v) => Number.isInteger(v) && v >= 0))) return refuse('malformed RLE: counts are neither a COCO string nor non-negative integers');
  }
  const hasSeg = Array.isArray(seg) ? seg.length > 0 : seg !== undefined;
  if (ann.bbox === undefined && !hasSeg) return refuse('annotation has neither a bbox nor a segmentation');
  return null;
}
