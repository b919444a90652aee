// The review queue's per-item table (migration 25, kept by triggers) against the queue computed the slow
// way: every annotation grouped by item, as review.ts did before the table existed.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnnotationStore } from '../../../main/engine/store/annotations';
import { openDatabase } from '../../../main/engine/store/database';
import { ReviewService } from '../../../main/engine/review/review';
import { tempDir } from '../../fixtures/images';
import { itemDb } from '../../fixtures/item-db';

const GROUPED = `SELECT a.item_id AS itemId, sum(a.state = 'proposed') AS pending, count(*) AS total,
    min(CASE WHEN a.state = 'proposed' THEN abs(a.score - coalesce(json_extract(a.params, '$.threshold'), 0.5)) END) AS uncertainty
  FROM annotations a WHERE a.origin != 'source' GROUP BY a.item_id
  ORDER BY pending = 0, uncertainty IS NULL, uncertainty, a.item_id LIMIT ? OFFSET ?`;

describe('review queue table', () => {
  it('matches grouping every annotation by item through inserts, decisions, undo, deletes and item removal', async () => {
    const { db, addItems } = await itemDb();
    const ids = addItems(40, { width: 100, height: 80 });
    const ann = new AnnotationStore(db);
    const review = new ReviewService(db);
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const check = () => {
      const expected = db.prepare(GROUPED).all(1000, 0);
      expect(review.queue({}, 0, 1000)).toEqual(expected);
      expect(review.queue({}, 5, 7)).toEqual(db.prepare(GROUPED).all(7, 5));
      const all = db.prepare(`SELECT count(*) total, coalesce(sum(state != 'proposed'), 0) reviewed FROM annotations WHERE origin != 'source'`).get();
      expect(review.progress()).toEqual(all);
    };
    const added: number[] = [];
    for (let n = 0; n < 150; n++) {
      const item = ids[Math.floor(random() * ids.length)];
      const origin = random() < 0.15 ? 'source' : 'winnow-clip-mini';
      const params = random() < 0.3 ? null : { threshold: Math.round(random() * 10) / 10 };
      const score = random() < 0.1 ? null : Math.round(random() * 1000) / 1000;
      added.push(ann.insert(item, { kind: 'box', label: 'x', score, bbox: [1, 1, 5, 5], origin, params, state: origin === 'source' ? 'source' : 'proposed', createdBy: 'test' }));
    }
    check();
    review.decide(added.filter((_, k) => k % 3 === 0), 'accepted');
    review.decide(added.filter((_, k) => k % 7 === 0), 'rejected');
    check();
    review.undo();
    check();
    review.delete(added[4]);
    review.delete(added[5]);
    check();
    db.prepare('DELETE FROM items WHERE id IN (?, ?, ?)').run(ids[0], ids[1], ids[2]);
    check();
    db.prepare('UPDATE annotations SET item_id = ? WHERE id = ?').run(ids[39], added[20]);
    check();
  });

  it('reads an unfiltered page from the queue index, not by grouping annotations', async () => {
    const db = openDatabase(path.join(await tempDir(), 'project.sqlite'));
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT item_id FROM review_queue ORDER BY pending = 0, uncertainty IS NULL, uncertainty, item_id LIMIT 100`).all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join('; ')).toMatch(/USING (COVERING )?INDEX review_queue_order/);
    expect(plan.map((p) => p.detail).join('; ')).not.toMatch(/TEMP B-TREE/);
  });
});
