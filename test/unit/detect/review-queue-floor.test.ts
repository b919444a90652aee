// The review queue at a score floor (migration 27: review_queue's floored counts, review_totals, the review
// labels index) against brute force over the annotations: every proposal grouped by item with the floor
// applied, counted and listed with plain SQL, through edits, floor changes, item removal and label runs.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnnotationStore } from '../../../main/engine/store/annotations';
import { openDatabase, type Db } from '../../../main/engine/store/database';
import { ReviewService } from '../../../main/engine/review/review';
import { tempDir } from '../../fixtures/images';
import { itemDb } from '../../fixtures/item-db';

const U = `abs(a.score - coalesce(json_extract(a.params, '$.threshold'), 0.5))`;
const counted = (floor: number) => (floor > 0 ? `(a.state != 'proposed' OR a.score IS NULL OR a.score >= ${floor})` : '1');
const current = `a.origin != 'source' AND a.superseded_by IS NULL`;

function bruteQueue(db: Db, floor: number, limit: number, offset: number) {
  return db.prepare(`SELECT a.item_id AS itemId, sum(a.state = 'proposed') AS pending, count(*) AS total,
      min(CASE WHEN a.state = 'proposed' THEN ${U} END) AS uncertainty
    FROM annotations a WHERE ${current} AND ${counted(floor)} GROUP BY a.item_id
    ORDER BY pending = 0, uncertainty IS NULL, uncertainty, a.item_id LIMIT ? OFFSET ?`).all(limit, offset);
}

function bruteProgress(db: Db, floor: number) {
  return db.prepare(`SELECT count(*) AS total, coalesce(sum(a.state != 'proposed'), 0) AS reviewed FROM annotations a WHERE ${current} AND ${counted(floor)}`).get();
}

const bruteBelow = (db: Db, floor: number) => (floor > 0
  ? db.prepare(`SELECT count(*) FROM annotations a WHERE ${current} AND a.state = 'proposed' AND a.score < ?`).pluck().get(floor) : 0);

const distinct = (db: Db, where: string) => db.prepare(`SELECT DISTINCT label FROM annotations WHERE origin != 'source' AND ${where} ORDER BY label`).pluck().all();

describe('review queue at a score floor', () => {
  it('matches grouping every annotation with the floor applied, at the stored floor and any other', async () => {
    const { db, addItems } = await itemDb();
    const ids = addItems(60, { width: 100, height: 80 });
    const ann = new AnnotationStore(db);
    const review = new ReviewService(db);
    let seed = 3;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const added: number[] = [];
    const add = (count: number) => {
      for (let n = 0; n < count; n++) {
        const item = ids[Math.floor(random() * ids.length)];
        const origin = random() < 0.1 ? 'source' : random() < 0.1 ? 'manual' : 'winnow-clip-mini';
        const kind = (['box', 'mask', 'label'] as const)[Math.floor(random() * 3)];
        // Near-zero scores (top-k labels) around every floor tried, ties at the floor itself, and no score.
        const score = random() < 0.08 ? null : random() < 0.4 ? Math.round(random() * 100) / 1000 : Math.round(random() * 100) / 100;
        const params = random() < 0.3 ? null : { threshold: Math.round(random() * 10) / 10 };
        added.push(ann.insert(item, { kind, label: ['cat', 'dog', 'zebra', 'car', 'bus'][Math.floor(random() * 5)], score, bbox: [1, 1, 5, 5], origin, params, state: origin === 'source' ? 'source' : 'proposed', createdBy: 'test' }));
      }
    };
    let checks = 0;
    const check = () => {
      const stored = review.storedFloor();
      for (const floor of [stored, 0, 0.05, 0.03, 0.5]) {
        const filter = { minScore: floor };
        expect(review.queue(filter, 0, 1000)).toEqual(bruteQueue(db, floor, 1000, 0));
        expect(review.queue(filter, 7, 9)).toEqual(bruteQueue(db, floor, 9, 7));
        expect(review.progress(filter)).toEqual(bruteProgress(db, floor));
        expect(review.belowFloor(filter)).toBe(bruteBelow(db, floor));
        checks++;
      }
      expect(ann.reviewLabels()).toEqual(distinct(db, '1'));
      expect(review.classes()).toEqual({ labels: distinct(db, `superseded_by IS NULL AND kind = 'label'`), queries: distinct(db, `superseded_by IS NULL AND kind IN ('box', 'mask')`) });
    };
    add(300);
    check();
    review.decide(added.filter((_, k) => k % 4 === 0), 'accepted');
    review.decide(added.filter((_, k) => k % 9 === 0), 'rejected');
    check();
    review.setFloor(0.03);
    check();
    review.undo();
    check();
    // A later labeling run supersedes some proposals (they leave the queue but stay in the table).
    db.prepare(`UPDATE annotations SET superseded_by = 99 WHERE id IN (${added.filter((_, k) => k % 5 === 1).join(',')})`).run();
    add(80);
    check();
    review.setFloor(0);
    check();
    review.setFloor(0.05);
    review.delete(added[3]);
    db.prepare(`UPDATE annotations SET score = 0.001 WHERE id IN (${added.filter((_, k) => k % 6 === 2).join(',')})`).run();
    check();
    db.prepare(`DELETE FROM items WHERE id IN (${ids.slice(0, 8).join(',')})`).run();
    db.prepare(`DELETE FROM annotations WHERE label = 'zebra'`).run();
    check();
    expect(checks).toBe(40);
  });

  it('reads a floored page from the partial index and the labels by seeks, not by grouping or scanning annotations', async () => {
    const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const plan = (sql: string) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((p) => p.detail).join('; ');
    const page = plan(`SELECT item_id, fpending, ftotal, funcertainty FROM review_queue WHERE ftotal > 0 ORDER BY fpending = 0, funcertainty IS NULL, funcertainty, item_id LIMIT 100`);
    expect(page).toMatch(/USING (COVERING )?INDEX review_queue_floor_order/);
    expect(page).not.toMatch(/TEMP B-TREE/);
    const labels = plan(`SELECT min(label) FROM annotations WHERE origin != 'source' AND label > 'a'`);
    expect(labels).toMatch(/USING (COVERING )?INDEX annotations_review_labels \(label>\?\)/);
  });
});
