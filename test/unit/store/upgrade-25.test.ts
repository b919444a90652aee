// A project at schema 25 (the review queue table without floored counts, no change counters) opened by today's
// code: migrations 26 and 27 fill the floored counts, the totals and the review labels index from the rows
// already there, and the triggers they add keep counts and filter caches right for later writes. Expected
// values come from plain SQL over the annotations and signals, not from the code under test.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRules } from '../../../main/engine/curate/evaluate';
import { ReviewService } from '../../../main/engine/review/review';
import { openDatabase, schemaVersion } from '../../../main/engine/store/database';
import { migrations } from '../../../main/engine/store/migrations';
import { tempDir } from '../../fixtures/images';
import { databaseAt } from '../../fixtures/upgrade/schema-at';

const U = `abs(a.score - coalesce(json_extract(a.params, '$.threshold'), 0.5))`;

describe('upgrading a schema-25 project', () => {
  it('fills the floored queue, the totals and the labels from existing annotations, and keeps them after', async () => {
    const file = path.join(await tempDir('winnow-upgrade-'), 'project.sqlite');
    const old = databaseAt(file, 25);
    old.prepare(`INSERT INTO sources (kind, path, root, name) VALUES ('folder', '/d', '/d', 'd')`).run();
    const item = old.prepare(`INSERT INTO items (source_id, key, uri, format, width, height, bytes, sha256) VALUES (1, ?, ?, 'jpg', 10, 10, 1, ?)`);
    const ann = old.prepare(`INSERT INTO annotations (item_id, kind, label, score, bbox, origin, params, state, created_by) VALUES (?, 'label', ?, ?, NULL, ?, ?, ?, 'test')`);
    const signal = old.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?)');
    for (let k = 1; k <= 50; k++) {
      item.run(`k${k}`, `/d/${k}.jpg`, `s${k}`);
      signal.run(k, 'clip.pair', (k % 10) / 10);
      for (let j = 0; j < k % 4; j++) {
        const score = [0.001, 0.04, 0.05, 0.7][(k + j) % 4];
        ann.run(k, ['cat', 'dog', 'bus'][(k + j) % 3], score, j === 2 ? 'source' : 'winnow-clip-mini', k % 3 ? '{"threshold":0.3}' : null, j === 2 ? 'source' : k % 5 === 0 ? 'accepted' : 'proposed');
      }
    }
    expect(old.pragma('user_version', { simple: true })).toBe(25);
    old.close();

    const db = openDatabase(file);
    expect(schemaVersion(db)).toBe(Math.max(...migrations.map((m) => m.version)));
    const review = new ReviewService(db);
    const check = (floor: number) => {
      const counted = floor > 0 ? `(a.state != 'proposed' OR a.score IS NULL OR a.score >= ${floor})` : '1';
      expect(review.queue({ minScore: floor }, 0, 100)).toEqual(db.prepare(
        `SELECT a.item_id AS itemId, sum(a.state = 'proposed') AS pending, count(*) AS total, min(CASE WHEN a.state = 'proposed' THEN ${U} END) AS uncertainty
         FROM annotations a WHERE a.origin != 'source' AND a.superseded_by IS NULL AND ${counted} GROUP BY a.item_id
         ORDER BY pending = 0, uncertainty IS NULL, uncertainty, a.item_id LIMIT 100`,
      ).all());
      expect(review.progress({ minScore: floor })).toEqual(db.prepare(
        `SELECT count(*) AS total, coalesce(sum(a.state != 'proposed'), 0) AS reviewed FROM annotations a WHERE a.origin != 'source' AND a.superseded_by IS NULL AND ${counted}`,
      ).get());
    };
    // The migration's stored floor is the built-in model's; the floored rows were filled from the old annotations.
    expect(review.storedFloor()).toBe(0.05);
    check(0.05);
    check(0);
    expect(db.prepare(`SELECT * FROM review_totals`).get()).toEqual(db.prepare(
      `SELECT 1 AS id, sum(pending) AS pending, sum(total) AS total, sum(fpending) AS fpending, sum(ftotal) AS ftotal FROM review_queue`,
    ).get());
    db.prepare(`INSERT INTO annotations (item_id, kind, label, score, origin, state, created_by) VALUES (1, 'label', 'zebra', 0.01, 'winnow-clip-mini', 'proposed', 'test')`).run();
    check(0.05);
    expect(db.prepare('SELECT label FROM annotations WHERE label = ? LIMIT 1').pluck().get('zebra')).toBe('zebra');

    // Filter counts: the triggers of migration 26 tell the cache about a signal written after the upgrade.
    const rules = [{ id: 'p', kind: 'signal' as const, enabled: true, signal: 'clip.pair', op: '>=' as const, threshold: 0.5 }];
    const removed = () => db.prepare(`SELECT count(*) FROM signals WHERE name = 'clip.pair' AND value < 0.5`).pluck().get();
    const before = evaluateRules(db, rules).removed;
    expect(before).toBe(removed());
    db.prepare(`UPDATE signals SET value = 0.9 WHERE item_id <= 20 AND name = 'clip.pair'`).run();
    expect(evaluateRules(db, rules).removed).toBe(removed());
    expect(removed()).toBeLessThan(before);
  });
});
