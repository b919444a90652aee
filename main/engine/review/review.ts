// Review of model proposals (boxes, masks, image-level labels): decisions and edits saved at once
// with who and when (updated_by / updated_at; the model stays in `origin`), undoable per project,
// and a queue that puts the most uncertain proposals (|score − threshold| smallest) first.
import { rleBbox, type CocoRle } from '../../domain/rle';
import type { Annotation, AnnotationKind, AnnotationState } from '../store/annotations';
import type { Db } from '../store/database';
import { rebuildForFloor, reviewLabelsSql } from '../store/review-queue';
import { type Change, type HistoryEntry, ReviewHistory, type RowPart } from './history';

export const LOCAL_USER = 'local user';
export const MANUAL_ORIGIN = 'manual';
/** Threshold assumed for proposals whose params name none. */
export const DEFAULT_REVIEW_THRESHOLD = 0.5;

export interface ReviewAnnotation extends Annotation {
  updatedBy: string | null;
  /** |score − threshold| (null without a score). */
  uncertainty: number | null;
}

export interface QueueItem { itemId: number; pending: number; total: number; uncertainty: number | null }
export interface QueueProgress { reviewed: number; total: number }
export interface QueueFilter {
  kinds?: AnnotationKind[];
  label?: string;
  /** Proposals scoring below this are left out of the queue (top-k label ranks near zero); reviewed ones always count. */
  minScore?: number;
}

/**
 * Keyboard nudges of one box within this long of each other are one undo step (a burst of arrow keys is one move).
 * Measured from the previous nudge, so a steady burst of any length stays one step.
 */
export const NUDGE_MERGE_MS = 3_000;

const UNCERTAINTY = `abs(a.score - coalesce(json_extract(a.params, '$.threshold'), ${DEFAULT_REVIEW_THRESHOLD}))`;
const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ','now')`;

type Raw = Record<string, unknown> & { id: number };

function toReview(r: Raw): ReviewAnnotation {
  return {
    id: r.id, itemId: r.item_id as number, kind: r.kind as AnnotationKind, label: r.label as string, score: r.score as number | null,
    bbox: r.bbox ? JSON.parse(r.bbox as string) : null, rle: r.rle ? JSON.parse(r.rle as string) : null, origin: r.origin as string,
    params: r.params ? JSON.parse(r.params as string) : null, state: r.state as AnnotationState, createdBy: r.created_by as string, runId: (r.run_id as number | null) ?? null,
    updatedBy: (r.updated_by as string | null) ?? null, createdAt: r.created_at as string, updatedAt: r.updated_at as string,
    uncertainty: (r.uncertainty as number | null) ?? null,
  };
}

function filterSql(f: QueueFilter = {}): { sql: string; args: unknown[] } {
  const parts = [`a.origin != 'source'`, 'a.superseded_by IS NULL'];
  const args: unknown[] = [];
  if (f.minScore !== undefined && f.minScore > 0) {
    parts.push(`(a.state != 'proposed' OR a.score IS NULL OR a.score >= ?)`);
    args.push(f.minScore);
  }
  if (f.kinds?.length) {
    parts.push(`a.kind IN (${f.kinds.map(() => '?').join(', ')})`);
    args.push(...f.kinds);
  }
  if (f.label) {
    parts.push('a.label = ?');
    args.push(f.label);
  }
  return { sql: parts.join(' AND '), args };
}

/**
 * Which columns of review_queue (one row per item, kept by triggers: migrations 25 and 27) answer this filter: the
 * counts of every current annotation ('all', no floor), those at the stored floor ('floor'), or none (null: a class,
 * a kind or another floor changes which proposals count, so the page groups the annotations).
 */
function queueColumns(filter: QueueFilter, storedFloor: number): 'all' | 'floor' | null {
  if (filter.kinds?.length || filter.label) return null;
  if (!(filter.minScore && filter.minScore > 0)) return 'all';
  return filter.minScore === storedFloor ? 'floor' : null;
}

const QUEUE_PAGE = {
  all: `SELECT item_id AS itemId, pending, total, uncertainty FROM review_queue
    ORDER BY pending = 0, uncertainty IS NULL, uncertainty, item_id LIMIT ? OFFSET ?`,
  // WHERE ftotal > 0 picks the partial index review_queue_floor_order.
  floor: `SELECT item_id AS itemId, fpending AS pending, ftotal AS total, funcertainty AS uncertainty FROM review_queue WHERE ftotal > 0
    ORDER BY fpending = 0, funcertainty IS NULL, funcertainty, item_id LIMIT ? OFFSET ?`,
};

export class ReviewService {
  readonly history: ReviewHistory;
  /** The history entry the latest nudges went into, while nothing else has happened since. */
  private nudgeChain: number | null = null;
  /** `changed` hears of every committed edit (itemIds null: an undo/redo or a bulk step over many items). */
  constructor(private readonly db: Db, private readonly changed: (itemIds: number[] | null) => void = () => {}) {
    this.history = new ReviewHistory(db);
  }

  get(id: number): ReviewAnnotation | null {
    const r = this.db.prepare(`SELECT a.*, ${UNCERTAINTY} AS uncertainty FROM annotations a WHERE a.id = ?`).get(id) as Raw | undefined;
    return r ? toReview(r) : null;
  }

  /** An item's annotations, most uncertain proposals first, then the rest by id. */
  forItem(itemId: number): ReviewAnnotation[] {
    return (this.db.prepare(
      `SELECT a.*, ${UNCERTAINTY} AS uncertainty FROM annotations a WHERE a.item_id = ? AND a.superseded_by IS NULL
       ORDER BY a.state != 'proposed', a.kind = 'label', uncertainty IS NULL, uncertainty, a.id`,
    ).all(itemId) as Raw[]).map(toReview);
  }

  /** Items with model (or manual) annotations: items with pending proposals first, most uncertain first. */
  queue(filter: QueueFilter = {}, offset = 0, limit = 100): QueueItem[] {
    // Unfiltered or at the stored floor, the page is a range of one of review_queue's indexes.
    const columns = queueColumns(filter, this.storedFloor());
    if (columns) return this.db.prepare(QUEUE_PAGE[columns]).all(limit, offset) as QueueItem[];
    const f = filterSql(filter);
    return (this.db.prepare(
      `SELECT a.item_id AS itemId, sum(a.state = 'proposed') AS pending, count(*) AS total,
              min(CASE WHEN a.state = 'proposed' THEN ${UNCERTAINTY} END) AS uncertainty
       FROM annotations a WHERE ${f.sql} GROUP BY a.item_id
       ORDER BY pending = 0, uncertainty IS NULL, uncertainty, a.item_id LIMIT ? OFFSET ?`,
    ).all(...f.args, limit, offset) as QueueItem[]);
  }

  /**
   * The classes a reviewer works with, in two lists: image-label classes and detection queries, each in the order the
   * newest run of its kind was given them (that order numbers the relabel keys), then labels only older runs or hand
   * edits used, sorted.
   */
  classes(): { labels: string[]; queries: string[] } {
    const latest = (kind: string, key: 'classes' | 'queries'): string[] => {
      const raw = this.db.prepare(`SELECT json_extract(params, '$.${key}') FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1`).pluck().get(kind) as string | undefined;
      const list = raw ? (JSON.parse(raw) as (string | { name: string })[]) : [];
      return list.map((c) => (typeof c === 'string' ? c : c.name));
    };
    const present = (kinds: string) => this.db.prepare(reviewLabelsSql(
      `EXISTS (SELECT 1 FROM annotations WHERE origin != 'source' AND label = l.label AND kind IN (${kinds}) AND superseded_by IS NULL)`,
    )).pluck().all() as string[];
    const merge = (first: string[], rest: string[]) => [...new Set([...first, ...rest.filter((l) => !first.includes(l))])];
    return { labels: merge(latest('curate.label', 'classes'), present(`'label'`)), queries: merge(latest('detect.run', 'queries'), present(`'box', 'mask'`)) };
  }

  /** Proposals the score floor leaves out of the queue (so the view can say how many it hides). */
  belowFloor(filter: QueueFilter = {}): number {
    if (!filter.minScore) return 0;
    if (queueColumns(filter, this.storedFloor()) === 'floor') return this.totals().total - this.totals().ftotal;
    const f = filterSql({ ...filter, minScore: undefined });
    return this.db.prepare(`SELECT count(*) FROM annotations a WHERE ${f.sql} AND a.state = 'proposed' AND a.score < ?`).pluck().get(...f.args, filter.minScore) as number;
  }

  progress(filter: QueueFilter = {}): QueueProgress {
    const columns = queueColumns(filter, this.storedFloor());
    if (columns) {
      const t = this.totals();
      return columns === 'all' ? { reviewed: t.total - t.pending, total: t.total } : { reviewed: t.ftotal - t.fpending, total: t.ftotal };
    }
    const f = filterSql(filter);
    const r = this.db.prepare(`SELECT count(*) AS total, coalesce(sum(a.state != 'proposed'), 0) AS reviewed FROM annotations a WHERE ${f.sql}`).get(...f.args) as QueueProgress;
    return { reviewed: r.reviewed, total: r.total };
  }

  /** The score floor review_queue's floored counts are kept at (migration 27). */
  storedFloor(): number {
    return this.db.prepare('SELECT min_score FROM review_floor').pluck().get() as number;
  }

  /** Keeps the floored counts at `minScore` (the project's default floor): a recount of every row when it changes. */
  setFloor(minScore: number): void {
    // A process that does not own the project reads it read-only: other floors then take the grouping query.
    if (!this.db.readonly && minScore !== this.storedFloor()) rebuildForFloor(this.db, minScore);
  }

  private totals(): { pending: number; total: number; fpending: number; ftotal: number } {
    return this.db.prepare('SELECT pending, total, fpending, ftotal FROM review_totals').get() as { pending: number; total: number; fpending: number; ftotal: number };
  }

  decide(ids: number[], state: 'accepted' | 'rejected' | 'proposed', user = LOCAL_USER): ReviewAnnotation[] {
    return this.edit(state === 'proposed' ? 'reset' : state === 'accepted' ? 'accept' : 'reject', ids, () => ({ state }), user);
  }

  relabel(id: number, label: string, user = LOCAL_USER): ReviewAnnotation {
    return this.edit('relabel', [id], () => ({ label, state: 'edited' }), user)[0];
  }

  /** A new box; `nudge` (a keyboard step) joins the previous nudge of the same box into one undo step. */
  setBox(id: number, bbox: [number, number, number, number], user = LOCAL_USER, { nudge = false } = {}): ReviewAnnotation {
    const box = bbox.map((v) => Math.round(v * 100) / 100);
    if (box[2] <= 0 || box[3] <= 0) throw new Error('a box needs a positive width and height');
    return this.edit(nudge ? 'nudge' : 'box', [id], () => ({ bbox: JSON.stringify(box), state: 'edited' }), user, nudge ? NUDGE_MERGE_MS : 0)[0];
  }

  /** Replaces the mask (and its box, derived from the mask). */
  setMask(id: number, rle: CocoRle, user = LOCAL_USER): ReviewAnnotation {
    const box = rleBbox(rle);
    return this.edit('mask', [id], () => ({ rle: JSON.stringify(rle), bbox: box ? JSON.stringify(box) : null, state: 'edited' }), user)[0];
  }

  /** A mask computed for an annotation (SAM refine): it becomes a mask annotation, `params.refinedWith` names the model. */
  refineMask(id: number, rle: CocoRle, model: string, user = LOCAL_USER): ReviewAnnotation {
    const box = rleBbox(rle);
    if (!box) throw new Error('the refined mask is empty');
    return this.edit('refine', [id], () => {
      const params = { ...((JSON.parse((this.raw(id)?.params as string | null) ?? 'null') as Record<string, unknown> | null) ?? {}), refinedWith: model };
      return { kind: 'mask', rle: JSON.stringify(rle), bbox: JSON.stringify(box), params: JSON.stringify(params), state: 'edited' };
    }, user)[0];
  }

  /** Proposals scoring ≥ threshold become accepted, in one undoable step. */
  acceptAbove(threshold: number, filter: QueueFilter = {}, user = LOCAL_USER): number {
    const f = filterSql(filter);
    const ids = this.db.prepare(`SELECT a.id FROM annotations a WHERE ${f.sql} AND a.state = 'proposed' AND a.score >= ?`).pluck().all(...f.args, threshold) as number[];
    if (ids.length) this.edit('accept-above', ids, () => ({ state: 'accepted' }), user);
    return ids.length;
  }

  add(itemId: number, a: { kind?: 'box' | 'mask'; label: string; bbox: [number, number, number, number]; rle?: CocoRle }, user = LOCAL_USER): ReviewAnnotation {
    this.nudgeChain = null;
    const added = this.db.transaction(() => {
      const id = Number(this.db.prepare(
        `INSERT INTO annotations (item_id, kind, label, score, bbox, rle, origin, params, state, created_by, updated_by) VALUES (?, ?, ?, NULL, ?, ?, ?, NULL, 'accepted', ?, ?)`,
      ).run(itemId, a.kind ?? 'box', a.label, JSON.stringify(a.bbox), a.rle ? JSON.stringify(a.rle) : null, MANUAL_ORIGIN, user, user).lastInsertRowid);
      this.history.record('add', [{ id, before: null, after: this.raw(id) ?? null }], user);
      return this.get(id)!;
    })();
    this.changed([itemId]);
    return added;
  }

  delete(id: number, user = LOCAL_USER): void {
    this.nudgeChain = null;
    const itemId = this.db.transaction(() => {
      const before = this.raw(id);
      if (!before) throw new Error(`annotation ${id} not found`);
      this.db.prepare('DELETE FROM annotations WHERE id = ?').run(id);
      this.history.record('delete', [{ id, before, after: null }], user);
      return before.item_id as number;
    })();
    this.changed([itemId]);
  }

  undo(): HistoryEntry | null {
    this.nudgeChain = null;
    const entry = this.history.undo();
    if (entry) this.changed(null);
    return entry;
  }

  redo(): HistoryEntry | null {
    this.nudgeChain = null;
    const entry = this.history.redo();
    if (entry) this.changed(null);
    return entry;
  }

  private raw(id: number): RowPart | undefined {
    return this.db.prepare('SELECT * FROM annotations WHERE id = ?').get(id) as RowPart | undefined;
  }

  /** Applies `set` (raw column values) to each annotation, stamps who/when, records one history entry. */
  private edit(action: string, ids: number[], set: () => RowPart, user: string, mergeWithinMs = 0): ReviewAnnotation[] {
    const edited = this.db.transaction(() => {
      const changes: Change[] = [];
      const values = set();
      const cols = Object.keys(values);
      const update = this.db.prepare(`UPDATE annotations SET ${cols.map((c) => `${c} = @${c}`).join(', ')}, updated_by = @user, updated_at = ${NOW} WHERE id = @id`);
      for (const id of ids) {
        const before = this.raw(id);
        if (!before) throw new Error(`annotation ${id} not found`);
        update.run({ ...values, user, id });
        const after = this.raw(id)!;
        const keys = [...cols, 'updated_by', 'updated_at'];
        changes.push({ id, before: pick(before, keys), after: pick(after, keys) });
      }
      // Only an unbroken chain merges: any other edit, an undo or a redo in between starts a new step.
      const merged = mergeWithinMs > 0 && this.nudgeChain !== null && this.history.extendLatest(this.nudgeChain, action, changes, user, mergeWithinMs);
      if (!merged) {
        const entry = this.history.record(action, changes, user);
        this.nudgeChain = mergeWithinMs > 0 ? entry : null;
      }
      return ids.map((id) => this.get(id)!);
    })();
    this.changed(ids.length > 100 ? null : [...new Set(edited.map((a) => a.itemId))]);
    return edited;
  }
}

const pick = (row: RowPart, keys: string[]): RowPart => Object.fromEntries(keys.map((k) => [k, row[k]]));
