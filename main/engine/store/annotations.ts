import type { Db } from './database';
import { reviewLabelsSql } from './review-queue';

export type AnnotationKind = 'box' | 'mask' | 'label';
export type AnnotationState = 'source' | 'proposed' | 'accepted' | 'rejected' | 'edited';

export interface Annotation {
  id: number;
  itemId: number;
  kind: AnnotationKind;
  label: string;
  score: number | null;
  /** [x, y, w, h] in pixels. */
  bbox: [number, number, number, number] | null;
  /** COCO RLE (uncompressed counts), size [h, w]. */
  rle: { size: [number, number]; counts: number[] } | null;
  origin: string;
  params: Record<string, unknown> | null;
  state: AnnotationState;
  createdBy: string;
  /** The run (runs.ts) of the job that proposed it; null for source and hand-drawn annotations. */
  runId: number | null;
  createdAt: string;
  updatedAt: string;
}

export type NewAnnotation = Omit<Annotation, 'id' | 'itemId' | 'createdAt' | 'updatedAt' | 'score' | 'bbox' | 'rle' | 'params' | 'runId'>
  & Partial<Pick<Annotation, 'score' | 'bbox' | 'rle' | 'params' | 'runId'>>;

interface Row {
  id: number; item_id: number; kind: AnnotationKind; label: string; score: number | null; bbox: string | null; rle: string | null;
  origin: string; params: string | null; state: AnnotationState; created_by: string; run_id: number | null; created_at: string; updated_at: string;
}

const toAnnotation = (r: Row): Annotation => ({
  id: r.id, itemId: r.item_id, kind: r.kind, label: r.label, score: r.score,
  bbox: r.bbox ? JSON.parse(r.bbox) : null, rle: r.rle ? JSON.parse(r.rle) : null, origin: r.origin,
  params: r.params ? JSON.parse(r.params) : null, state: r.state, createdBy: r.created_by, runId: r.run_id ?? null, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Boxes, masks and labels per item: from the source (origin 'source') or a model (origin = model id), with a review state. */
export class AnnotationStore {
  private readonly insertStmt;
  private readonly currentStmt;
  private readonly currentPageStmt;
  constructor(private readonly db: Db) {
    this.currentStmt = db.prepare('SELECT * FROM annotations WHERE item_id = ? AND superseded_by IS NULL ORDER BY id');
    // A page of items (ids as a JSON array) in one statement: an export reads a page at a time, not a query per item.
    this.currentPageStmt = db.prepare('SELECT * FROM annotations WHERE item_id IN (SELECT value FROM json_each(?)) AND superseded_by IS NULL ORDER BY item_id, id');
    this.insertStmt = db.prepare(
      `INSERT INTO annotations (item_id, kind, label, score, bbox, rle, origin, params, state, created_by, run_id)
       VALUES (@itemId, @kind, @label, @score, @bbox, @rle, @origin, @params, @state, @createdBy, @runId)`,
    );
  }

  /** Inserts one annotation (call inside a transaction for batches). */
  insert(itemId: number, a: NewAnnotation): number {
    return Number(this.insertStmt.run({
      itemId, kind: a.kind, label: a.label, score: a.score ?? null, bbox: a.bbox ? JSON.stringify(a.bbox) : null,
      rle: a.rle ? JSON.stringify(a.rle) : null, origin: a.origin, params: a.params ? JSON.stringify(a.params) : null,
      state: a.state, createdBy: a.createdBy, runId: a.runId ?? null,
    }).lastInsertRowid);
  }

  /** Labels of every model-made annotation (what a review queue can filter by), in label order. */
  reviewLabels(): string[] {
    return this.db.prepare(reviewLabelsSql()).pluck().all() as string[];
  }

  /** Proposals per label that one detection job wrote. */
  countsForJob(jobId: number): { label: string; count: number }[] {
    return this.db.prepare(`SELECT label, count(*) AS count FROM annotations WHERE json_extract(params, '$.job') = ? GROUP BY label ORDER BY label`).all(jobId) as { label: string; count: number }[];
  }

  forItem(itemId: number): Annotation[] {
    return (this.db.prepare('SELECT * FROM annotations WHERE item_id = ? ORDER BY id').all(itemId) as Row[]).map(toAnnotation);
  }

  /** The item's annotations without the proposals a later labeling run superseded (those are run history, not the item's labels). */
  current(itemId: number): Annotation[] {
    return (this.currentStmt.all(itemId) as Row[]).map(toAnnotation);
  }

  /** current() for a page of items, by item (items without annotations are absent); each item's list in id order as current(). */
  currentOfPage(idsJson: string): Map<number, Annotation[]> {
    const out = new Map<number, Annotation[]>();
    for (const r of this.currentPageStmt.iterate(idsJson) as Iterable<Row>) {
      const list = out.get(r.item_id);
      if (list) list.push(toAnnotation(r));
      else out.set(r.item_id, [toAnnotation(r)]);
    }
    return out;
  }

  /** What an export keeps: review decisions applied ('rejected' dropped, 'proposed' only when asked). */
  forExport(itemId: number, includeProposed: boolean): Annotation[] {
    return this.current(itemId).filter((a) => a.state !== 'rejected' && (includeProposed || a.state !== 'proposed'));
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) n FROM annotations').get() as { n: number }).n;
  }

  /** Distinct labels of box/mask annotations, sorted: the category list of an export. */
  labels(): string[] {
    return (this.db.prepare(`SELECT DISTINCT label FROM annotations WHERE kind IN ('box', 'mask') ORDER BY label`).pluck().all() as string[]);
  }
}
