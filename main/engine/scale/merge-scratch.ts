// The merge's on-disk working set: a throwaway database with the project schema, filled with the merged
// rows' ids, sha256, perceptual hashes, signals and errors as the merge streams them out. Duplicate
// grouping and the plan's rules then run through the project's own code (curate/duplicates.ts, rules.ts,
// evaluate.ts, reasons.ts) on it, so the merge keeps and removes by the same semantics as a project, and
// needs the global view (same sha256 anywhere, quantile thresholds) without holding the rows in memory.
// Item id = merged row + 1, so "#n" in a reason is the n-th row (1-based) of the merged items.parquet.
import { rmSync } from 'node:fs';
import type { EvaluationT, RuleT } from '../../domain/curation';
import type { RemovalReasonT } from '../../domain/decisions';
import { computeDuplicates, DEFAULT_PHASH_K } from '../curate/duplicates';
import { evaluateRules } from '../curate/evaluate';
import { itemMarks } from '../curate/reasons';
import { type Db, openDatabase } from '../store/database';
import { DupGroupStore } from '../store/dup-groups';
import type { ItemRow } from './item-table';

/** `kind: message` of a shard row's error → the issue kind a project records (decode_failed, unreadable, io_error…). */
const issueKind = (error: string) => /^([a-z_]+):/.exec(error)?.[1] ?? 'unreadable';

export interface MergedGroup { id: number; kind: 'exact' | 'phash' | 'semantic'; item: number; source: number; key: string; keeper: boolean }

export class MergeScratch {
  readonly db: Db;
  private readonly inserts;
  private pending = 0;

  constructor(private readonly file: string, sources: number) {
    this.db = openDatabase(file);
    // A scratch file: a crash loses nothing worth keeping, so no journal and no fsync.
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('foreign_keys = OFF');
    this.db.exec('CREATE TABLE merge_images (image_row INTEGER PRIMARY KEY, item_id INTEGER NOT NULL)');
    const source = this.db.prepare("INSERT INTO sources (id, kind, path, root, name) VALUES (?, 'merged', ?, '', ?)");
    for (let s = 0; s < sources; s++) source.run(s + 1, `source-${s}`, `source ${s}`);
    this.inserts = {
      item: this.db.prepare('INSERT INTO items (id, source_id, key, uri, format, width, height, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      signal: this.db.prepare('INSERT INTO signals (item_id, name, value) VALUES (?, ?, ?)'),
      issue: this.db.prepare("INSERT OR IGNORE INTO issues (severity, kind, message, source_id, item_id) VALUES ('error', ?, ?, ?, ?)"),
      phash: this.db.prepare('INSERT INTO item_hashes (item_id, phash) VALUES (?, ?)'),
      image: this.db.prepare('INSERT INTO merge_images (image_row, item_id) VALUES (?, ?)'),
    };
    this.db.exec('BEGIN');
  }

  /** Adds merged row `row` (0-based); committed in batches so inserts stay fast and memory flat. */
  add(row: number, r: ItemRow): void {
    const id = row + 1;
    const i = this.inserts;
    i.item.run(id, r.source + 1, r.key, r.uri ?? '', r.format, r.width, r.height, r.sha256);
    for (const [name, value] of Object.entries(r.signals)) if (Number.isFinite(value)) i.signal.run(id, name, value);
    if (r.error) i.issue.run(issueKind(r.error), r.error, r.source + 1, id);
    if (r.phash) i.phash.run(id, r.phash);
    if (r.image_row !== null) i.image.run(r.image_row, id);
    if (++this.pending >= 50_000) { this.db.exec('COMMIT; BEGIN'); this.pending = 0; }
  }

  /**
   * Exact (same sha256) and perceptual (phash within the project's default distance) groups by the
   * project's code, then the semantic groups of merged image rows; keepers are the first member in merged order.
   */
  groups(semanticImageGroups: readonly number[][]): { exact: number; phash: number; semantic: number } {
    this.db.exec('COMMIT');
    const itemOf = this.db.prepare('SELECT item_id FROM merge_images WHERE image_row = ?').pluck();
    const semantic = semanticImageGroups
      .map((g) => g.map((img) => itemOf.get(img) as number).sort((a, b) => a - b))
      .sort((a, b) => a[0] - b[0])
      .map((members) => ({ keeper: members[0], members }));
    return this.db.transaction(() => {
      const { exactGroups, phashGroups } = computeDuplicates(this.db, DEFAULT_PHASH_K, null);
      const semanticCount = new DupGroupStore(this.db).replaceKind('semantic', null, semantic);
      return { exact: exactGroups, phash: phashGroups, semantic: semanticCount };
    })();
  }

  /** Every group member (exact, then perceptual, then semantic; groups by first member), streamed. */
  *members(): Generator<MergedGroup> {
    const order = "CASE g.kind WHEN 'exact' THEN 0 WHEN 'phash' THEN 1 ELSE 2 END";
    const rows = this.db.prepare(
      `SELECT g.id gid, g.kind, m.item_id item, i.source_id - 1 source, i.key, m.item_id = g.keeper_id keeper,
        (SELECT min(item_id) FROM dup_members WHERE group_id = g.id) first
       FROM dup_groups g JOIN dup_members m ON m.group_id = g.id JOIN items i ON i.id = m.item_id
       ORDER BY ${order}, first, g.id, m.item_id`,
    ).iterate() as IterableIterator<{ gid: number; kind: MergedGroup['kind']; item: number; source: number; key: string; keeper: number }>;
    let id = -1;
    let last = -1;
    for (const r of rows) {
      if (r.gid !== last) { id++; last = r.gid; }
      yield { id, kind: r.kind, item: r.item, source: r.source, key: r.key, keeper: r.keeper === 1 };
    }
  }

  /** The plan's rules over every merged row, counted as a project counts them (selection.evaluate). */
  evaluate(rules: readonly RuleT[]): EvaluationT {
    return evaluateRules(this.db, rules);
  }

  /** Kept or not, and why, for merged rows [from, to) (0-based), as the project's items.marks says it. */
  marks(rules: readonly RuleT[], from: number, to: number): Array<{ source: number; key: string; kept: boolean; reasons: RemovalReasonT[] }> {
    const ids = Array.from({ length: to - from }, (_, i) => from + i + 1);
    const keys = this.db.prepare('SELECT source_id - 1 source, key FROM items WHERE id >= ? AND id <= ? ORDER BY id').all(from + 1, to) as Array<{ source: number; key: string }>;
    return itemMarks(this.db, rules, ids).map((m, i) => ({ ...keys[i], kept: !m.removed, reasons: m.reasons }));
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(this.file + suffix, { force: true });
  }
}
