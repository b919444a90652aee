// The review queue's per-item rows (table review_queue, kept by triggers on annotations) and their totals
// (review_totals, kept by triggers on review_queue), as of migration 27. Each row counts an item's current
// model or manual annotations twice: all of them (pending, total, uncertainty) and those the stored score
// floor lets into the queue (fpending, ftotal, funcertainty: a proposal scoring below review_floor.min_score
// is left out; reviewed ones always count). The triggers and ReviewService.setFloor's rebuild share this
// SQL, so they cannot disagree; changing it means a new migration that recreates the triggers.
import type { Db } from './database';

/** review.ts's UNCERTAINTY over the unaliased table: |score − threshold|, threshold 0.5 when params name none. */
const U = `abs(score - coalesce(json_extract(params, '$.threshold'), 0.5))`;
/** A proposal the floor lets in (a floor ≤ 0 is no floor, as in review.ts's filter). */
const ABOVE = `(f.min_score <= 0 OR score IS NULL OR score >= f.min_score)`;

/** INSERT of the queue rows of the items `where` selects (over annotations, unaliased). */
export function queueRowsSql(where: string): string {
  return `INSERT INTO review_queue (item_id, pending, total, uncertainty, fpending, ftotal, funcertainty)
    SELECT item_id, sum(state = 'proposed'), count(*), min(CASE WHEN state = 'proposed' THEN ${U} END),
      sum(state = 'proposed' AND ${ABOVE}), sum(state != 'proposed' OR ${ABOVE}), min(CASE WHEN state = 'proposed' AND ${ABOVE} THEN ${U} END)
    FROM annotations, review_floor f WHERE ${where} AND origin != 'source' AND superseded_by IS NULL GROUP BY item_id`;
}

const refresh = (item: string, extra = '') => `DELETE FROM review_queue WHERE item_id = ${item}${extra};
        ${queueRowsSql(`item_id = ${item}${extra}`)};`;

const totals = (sign: '+' | '-', row: 'new' | 'old') => `UPDATE review_totals SET pending = pending ${sign} ${row}.pending, total = total ${sign} ${row}.total,
          fpending = fpending ${sign} ${row}.fpending, ftotal = ftotal ${sign} ${row}.ftotal;`;

/** Migration 27: floor columns, totals, and the triggers that keep both. */
export const REVIEW_QUEUE_V27 = `
  CREATE TABLE review_floor (id INTEGER PRIMARY KEY CHECK (id = 1), min_score REAL NOT NULL);
  -- The built-in model's review floor (models/registry.json reviewMinScore); review.queue resets it to the project's labels model's value.
  INSERT INTO review_floor VALUES (1, 0.05);
  CREATE TABLE review_totals (id INTEGER PRIMARY KEY CHECK (id = 1), pending INTEGER NOT NULL, total INTEGER NOT NULL, fpending INTEGER NOT NULL, ftotal INTEGER NOT NULL);
  INSERT INTO review_totals VALUES (1, 0, 0, 0, 0);
  DROP TRIGGER review_queue_insert;
  DROP TRIGGER review_queue_update;
  DROP TRIGGER review_queue_delete;
  ALTER TABLE review_queue ADD COLUMN fpending INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE review_queue ADD COLUMN ftotal INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE review_queue ADD COLUMN funcertainty REAL;
  -- Items whose every annotation is a proposal below the floor are not in the floored queue.
  CREATE INDEX review_queue_floor_order ON review_queue(fpending = 0, funcertainty IS NULL, funcertainty, item_id) WHERE ftotal > 0;
  -- Every row is recounted below, with the totals' triggers in place.
  DELETE FROM review_queue;
  CREATE TRIGGER review_totals_insert AFTER INSERT ON review_queue BEGIN
    ${totals('+', 'new')}
  END;
  CREATE TRIGGER review_totals_delete AFTER DELETE ON review_queue BEGIN
    ${totals('-', 'old')}
  END;
  CREATE TRIGGER review_totals_update AFTER UPDATE ON review_queue BEGIN
    ${totals('-', 'old')}
    ${totals('+', 'new')}
  END;
  ${queueRowsSql('1')};
  CREATE TRIGGER review_queue_insert AFTER INSERT ON annotations WHEN new.origin != 'source' BEGIN
    ${refresh('new.item_id')}
  END;
  CREATE TRIGGER review_queue_update AFTER UPDATE ON annotations BEGIN
    ${refresh('old.item_id')}
    ${refresh('new.item_id', ' AND new.item_id IS NOT old.item_id')}
  END;
  CREATE TRIGGER review_queue_delete AFTER DELETE ON annotations WHEN old.origin != 'source' BEGIN
    ${refresh('old.item_id')}
  END;
`;

/** Recounts every row for a new floor (a change of the labels model or of its calibration: rare, one pass over the annotations). */
export function rebuildForFloor(db: Db, minScore: number): void {
  db.transaction(() => {
    db.prepare('UPDATE review_floor SET min_score = ?').run(minScore);
    db.exec(`DELETE FROM review_queue; ${queueRowsSql('1')}`);
  })();
}

/** Distinct labels of model or manual annotations by a skip scan of annotations_review_labels (one seek per label, migration 27). */
export function reviewLabelsSql(where = '1'): string {
  return `WITH RECURSIVE l(label) AS (
      SELECT min(label) FROM annotations WHERE origin != 'source'
      UNION ALL SELECT (SELECT min(label) FROM annotations WHERE origin != 'source' AND label > l.label) FROM l WHERE l.label IS NOT NULL)
    SELECT label FROM l WHERE label IS NOT NULL AND ${where}`;
}
