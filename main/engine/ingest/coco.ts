import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { normalizeRle } from '../../domain/rle';
import type { EntryAnnotation, EntryProblem, IngestEntry, IngestSource } from './entry';
import { streamTopLevelArrays } from './json-stream';
import {
  type CocoProblem, cocoAnnotationImageProblem, cocoAnnotationProblem, cocoCategoryProblem, cocoElementProblem, cocoImageProblem, cocoLocation, danglingProblem,
} from './validate-coco';
import { takePortable } from './portable';

interface CocoImage { id: number; file_name: string; width?: number; height?: number; [k: string]: unknown }
interface CocoAnn {
  id?: number; image_id: number; category_id?: number; bbox?: number[]; iscrowd?: number; area?: number; caption?: string;
  segmentation?: number[][] | { size: [number, number]; counts: number[] | string };
  score?: number; winnow_state?: string; winnow_origin?: string;
}
interface CocoIndex {
  images: CocoImage[]; annotations: (imageId: number) => { ann: CocoAnn; location: string }[]; categories: Map<number, string>;
  /** File-level problems (refused images, categories, dangling annotations): yielded first, one bad entry each. */
  problems: CocoProblem[]; close(): void;
}

/** The folder a COCO file's images live under: the parent of an `annotations/` folder, else the file's folder. */
export function cocoRoot(file: string): string {
  const dir = path.dirname(file);
  return path.basename(dir) === 'annotations' ? path.dirname(dir) : dir;
}

/**
 * COCO instances (boxes; polygons → RLE; RLE as given) and captions files. The JSON is streamed element by element:
 * images and categories are kept (small), annotations are spilled to a temporary SQLite index by image id, so memory does not
 * grow with the annotation file.
 */
export class CocoSource implements IngestSource {
  readonly root: string;
  private index: Promise<CocoIndex> | null = null;

  constructor(readonly file: string) {
    this.root = cocoRoot(file);
  }

  private load(signal?: AbortSignal): Promise<CocoIndex> {
    this.index ??= (async () => {
      const tmp = path.join(os.tmpdir(), `winnow-coco-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
      const db = new Database(tmp);
      db.pragma('journal_mode = OFF');
      db.pragma('synchronous = OFF');
      db.exec('CREATE TABLE ann (image_id INTEGER NOT NULL, json TEXT NOT NULL, location TEXT NOT NULL); CREATE INDEX ann_image ON ann(image_id)');
      const insert = db.prepare('INSERT INTO ann (image_id, json, location) VALUES (?, ?, ?)');
      const images: CocoImage[] = [];
      const imageIds = new Set<number>();
      const categories = new Map<number, string>();
      const problems: CocoProblem[] = [];
      let pending: [number, string, string][] = [];
      const flush = db.transaction((rows: [number, string, string][]) => { for (const r of rows) insert.run(r[0], r[1], r[2]); });
      let sawImages = false;
      const name = path.basename(this.file);
      try {
        await streamTopLevelArrays(this.file, new Set(['images', 'annotations', 'categories']), (key, v, index) => {
          if (key === 'images') sawImages = true;
          const location = cocoLocation(name, key as 'images', v, index);
          const refused = cocoElementProblem(v, location);
          if (refused) { problems.push(refused); return; }
          const o = v as Record<string, unknown>;
          if (key === 'images') {
            const bad = cocoImageProblem(o, imageIds, location);
            if (bad) { problems.push(bad); return; }
            imageIds.add(o.id as number);
            images.push(o as CocoImage);
          } else if (key === 'categories') {
            const bad = cocoCategoryProblem(o, categories, location);
            if (bad) problems.push(bad);
            else categories.set(o.id as number, o.name as string);
          } else {
            const bad = cocoAnnotationImageProblem(o, location);
            if (bad) { problems.push(bad); return; }
            pending.push([o.image_id as number, JSON.stringify(o), location]);
            if (pending.length >= 5000) { flush(pending); pending = []; }
          }
        }, signal);
        flush(pending);
        // Annotations of images the file does not have: found once all images are known.
        db.exec('CREATE TEMP TABLE img (id INTEGER PRIMARY KEY)');
        const addImage = db.prepare('INSERT INTO img (id) VALUES (?)');
        db.transaction(() => { for (const id of imageIds) addImage.run(id); })();
        for (const r of db.prepare('SELECT image_id, location FROM ann WHERE image_id NOT IN (SELECT id FROM img) ORDER BY rowid').iterate() as Iterable<{ image_id: number; location: string }>) {
          problems.push(danglingProblem(r.image_id, r.location));
        }
      } catch (err) {
        db.close();
        rmSync(tmp, { force: true });
        throw new Error(`${path.basename(this.file)}: ${(err as Error).message}`);
      }
      if (!sawImages && images.length === 0) {
        db.close();
        rmSync(tmp, { force: true });
        throw new Error(`${path.basename(this.file)} has no "images" list: not a COCO file`);
      }
      images.sort((a, b) => a.id - b.id);
      const select = db.prepare('SELECT json, location FROM ann WHERE image_id = ? ORDER BY rowid');
      return {
        images, categories, problems,
        annotations: (id) => (select.all(id) as { json: string; location: string }[]).map((r) => ({ ann: JSON.parse(r.json) as CocoAnn, location: r.location })),
        close: () => { db.close(); rmSync(tmp, { force: true }); this.index = null; },
      };
    })();
    return this.index;
  }

  async count(signal?: AbortSignal): Promise<number> {
    const index = await this.load(signal);
    return index.problems.length + index.images.length;
  }

  async *entries(skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    const index = await this.load(signal);
    try {
      yield* this.walk(index, skip, signal);
    } finally {
      index.close();
    }
  }

  private async *walk({ images, annotations: annotationsOf, categories, problems }: CocoIndex, skip: number, signal?: AbortSignal): AsyncIterable<IngestEntry> {
    for (let i = skip; i < problems.length; i++) yield { type: 'bad', key: problems[i].location, ...problems[i] };
    skip = Math.max(0, skip - problems.length);
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
      const located = annotationsOf(img.id);
      const anns = located.map((l) => l.ann);
      const captions = anns.filter((a) => typeof a.caption === 'string').map((a) => a.caption!.trim());
      const annotations: EntryAnnotation[] = [];
      const entryProblems: EntryProblem[] = [];
      for (const { ann: a, location: annLocation } of located) {
        const refused = cocoAnnotationProblem(a as unknown as Record<string, unknown>, categories, annLocation);
        if (refused) { entryProblems.push(refused); continue; }
        if (a.category_id === undefined) continue;
        const label = categories.get(a.category_id)!;
        const params: Record<string, unknown> = { coco_id: a.id, iscrowd: a.iscrowd ?? 0, area: a.area };
        // Winnow's COCO export marks model annotations with their review state and origin, and keeps their score.
        if (typeof a.winnow_state === 'string') params.exported_state = a.winnow_state;
        if (typeof a.winnow_origin === 'string') params.exported_origin = a.winnow_origin;
        const score = typeof a.score === 'number' && Number.isFinite(a.score) ? a.score : null;
        const bbox = Array.isArray(a.bbox) && a.bbox.length === 4 ? (a.bbox.map(Number) as [number, number, number, number]) : null;
        const seg = a.segmentation;
        if (Array.isArray(seg) && seg.length) annotations.push({ kind: 'mask', label, bbox, polygons: seg, params, score, location: annLocation });
        else if (seg && !Array.isArray(seg) && seg.counts !== undefined) {
          try {
            annotations.push({ kind: 'mask', label, bbox, rle: normalizeRle(seg), params, score, location: annLocation });
          } catch (err) {
            entryProblems.push({ kind: 'bad_annotation', message: `malformed RLE segmentation (${(err as Error).message}): annotation not imported`, location: annLocation });
          }
        } else if (bbox) annotations.push({ kind: 'box', label, bbox, params, score, location: annLocation });
      }
      const extra: Record<string, unknown> = { coco_id: img.id };
      if (captions.length > 1) extra.captions = captions;
      for (const [k, v] of Object.entries(img)) if (!['id', 'file_name', 'width', 'height', 'winnow_labels', 'winnow_scores'].includes(k)) extra[k] = v;
      // Image-level labels and scores Winnow's COCO export keeps as extra image fields.
      const carried = takePortable({ labels: img.winnow_labels, scores: img.winnow_scores });
      annotations.push(...carried.annotations);
      for (const message of carried.problems) entryProblems.push({ kind: 'bad_annotation', message, location });
      yield {
        type: 'file', key: rel.split(path.sep).join('/'), file, caption: captions[0] ?? null, captionOrigin: captions.length ? 'coco.caption' : null, extra,
        provenance: { source: 'coco', shard: path.basename(this.file), key: img.file_name, row: img.id }, annotations, problems: entryProblems, scores: carried.scores,
      };
    }
  }
}
