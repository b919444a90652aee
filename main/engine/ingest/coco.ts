import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { normalizeRle } from '../formats/rle';
import type { EntryAnnotation, IngestEntry, IngestSource } from './entry';

interface CocoImage { id: number; file_name: string; width?: number; height?: number; [k: string]: unknown }
interface CocoAnn {
  id?: number; image_id: number; category_id?: number; bbox?: number[]; iscrowd?: number; area?: number; caption?: string;
  segmentation?: number[][] | { size: [number, number]; counts: number[] | string };
}
interface CocoIndex { images: CocoImage[]; byImage: Map<number, CocoAnn[]>; categories: Map<number, string> }

/** The folder a COCO file's images live under: the parent of an `annotations/` folder, else the file's folder. */
export function cocoRoot(file: string): string {
  const dir = path.dirname(file);
  return path.basename(dir) === 'annotations' ? path.dirname(dir) : dir;
}

/**
 * COCO instances (boxes; polygons → RLE; RLE as given) and captions files. The JSON is one document, so it is parsed whole
 * (memory ~ the annotation file, not the images); images are resolved under the dataset root.
 */
export class CocoSource implements IngestSource {
  readonly root: string;
  private index: Promise<CocoIndex> | null = null;

  constructor(readonly file: string) {
    this.root = cocoRoot(file);
  }

  private load(): Promise<CocoIndex> {
    this.index ??= (async () => {
      const doc = JSON.parse(await readFile(this.file, 'utf8')) as { images?: CocoImage[]; annotations?: CocoAnn[]; categories?: { id: number; name: string }[] };
      if (!Array.isArray(doc.images)) throw new Error(`${path.basename(this.file)} has no "images" list: not a COCO file`);
      const images = [...doc.images].sort((a, b) => a.id - b.id);
      const byImage = new Map<number, CocoAnn[]>();
      for (const a of doc.annotations ?? []) {
        const list = byImage.get(a.image_id);
        if (list) list.push(a);
        else byImage.set(a.image_id, [a]);
      }
      return { images, byImage, categories: new Map((doc.categories ?? []).map((c) => [c.id, c.name])) };
    })();
    return this.index;
  }

  async count(): Promise<number> {
    return (await this.load()).images.length;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    const { images, byImage, categories } = await this.load();
    const jsonDir = path.dirname(this.file);
    const stem = path.basename(this.file, '.json').replace(/^(instances|captions|person_keypoints)_/, '');
    const dirs = [this.root, jsonDir, path.join(this.root, 'images'), path.join(this.root, stem), path.join(this.root, 'images', stem)];
    for (let i = skip; i < images.length; i++) {
      signal?.throwIfAborted();
      const img = images[i];
      const key = String(img.file_name ?? img.id);
      const location = `${path.basename(this.file)}:image ${img.id}`;
      if (typeof img.file_name !== 'string') { yield { type: 'bad', key: `image:${img.id}`, location, kind: 'bad_row', message: 'image has no file_name' }; continue; }
      const file = dirs.map((d) => path.resolve(d, img.file_name)).find((f) => existsSync(f)) ?? path.resolve(this.root, img.file_name);
      const rel = path.relative(this.root, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) { yield { type: 'bad', key, location, kind: 'outside_source', message: `${img.file_name} points outside the dataset folder` }; continue; }
      const anns = byImage.get(img.id) ?? [];
      const captions = anns.filter((a) => typeof a.caption === 'string').map((a) => a.caption!.trim());
      const annotations: EntryAnnotation[] = [];
      const badAnnotations: string[] = [];
      for (const a of anns) {
        if (a.category_id === undefined) continue;
        const label = categories.get(a.category_id) ?? String(a.category_id);
        const params = { coco_id: a.id, iscrowd: a.iscrowd ?? 0, area: a.area };
        const bbox = Array.isArray(a.bbox) && a.bbox.length === 4 ? (a.bbox.map(Number) as [number, number, number, number]) : null;
        const seg = a.segmentation;
        if (Array.isArray(seg) && seg.length) annotations.push({ kind: 'mask', label, bbox, polygons: seg, params });
        else if (seg && !Array.isArray(seg) && seg.counts !== undefined) {
          try {
            annotations.push({ kind: 'mask', label, bbox, rle: normalizeRle(seg), params });
          } catch (err) {
            badAnnotations.push(`annotation ${a.id}: ${(err as Error).message}`);
          }
        } else if (bbox) annotations.push({ kind: 'box', label, bbox, params });
      }
      const extra: Record<string, unknown> = { coco_id: img.id };
      if (captions.length > 1) extra.captions = captions;
      if (badAnnotations.length) extra.annotation_errors = badAnnotations;
      for (const [k, v] of Object.entries(img)) if (!['id', 'file_name', 'width', 'height'].includes(k)) extra[k] = v;
      yield {
        type: 'file', key: rel.split(path.sep).join('/'), file, caption: captions[0] ?? null, captionOrigin: captions.length ? 'coco.caption' : null, extra,
        provenance: { source: 'coco', shard: path.basename(this.file), key: img.file_name, row: img.id }, annotations,
      };
    }
  }
}
