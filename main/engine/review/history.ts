// Undo/redo of annotation edits, persisted per project (table annotation_history, migration 5).
// Each entry stores, per touched annotation, the columns it changed before and after (a full row
// when the annotation was created or deleted; null = did not exist). Undo applies `before`, redo
// `after`; a new edit drops the undone entries (the redo branch), like any editor.
import type { Db } from '../store/database';

/** Raw annotations columns (as stored). */
export type RowPart = Record<string, unknown>;
export interface Change { id: number; before: RowPart | null; after: RowPart | null }
export interface HistoryEntry { id: number; action: string; changes: Change[]; user: string; createdAt: string }

const COLUMNS = ['id', 'item_id', 'kind', 'label', 'score', 'bbox', 'rle', 'origin', 'params', 'state', 'created_by', 'created_at', 'updated_at', 'updated_by'];

export class ReviewHistory {
  constructor(private readonly db: Db) {}

  record(action: string, changes: Change[], user: string): number {
    this.db.prepare('DELETE FROM annotation_history WHERE undone = 1').run();
    return Number(this.db.prepare('INSERT INTO annotation_history (action, annotation_ids, before, after, user) VALUES (?, ?, ?, ?, ?)').run(
      action, JSON.stringify(changes.map((c) => c.id)), JSON.stringify(changes.map((c) => c.before)), JSON.stringify(changes.map((c) => c.after)), user,
    ).lastInsertRowid);
  }

  /**
   * Folds `changes` into entry `entryId` when it is still the latest entry, the same action on the same annotations by the same user, not undone,
   * and at most `withinMs` old: the entry keeps its `before` and takes the new `after` (and time). False when it cannot.
   */
  extendLatest(entryId: number, action: string, changes: Change[], user: string, withinMs: number): boolean {
    const row = this.db.prepare(`SELECT *, (julianday('now') - julianday(created_at)) * 86400000 AS age_ms FROM annotation_history ORDER BY id DESC LIMIT 1`).get() as
      (HistoryRow & { undone: number; age_ms: number }) | undefined;
    if (!row || row.id !== entryId || row.undone || row.action !== action || row.user !== user || row.age_ms > withinMs) return false;
    if (row.annotation_ids !== JSON.stringify(changes.map((c) => c.id))) return false;
    this.db.prepare(`UPDATE annotation_history SET after = ?, created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ?`)
      .run(JSON.stringify(changes.map((c) => c.after)), row.id);
    return true;
  }

  canUndo(): boolean {
    return this.db.prepare('SELECT 1 FROM annotation_history WHERE undone = 0 LIMIT 1').get() !== undefined;
  }

  canRedo(): boolean {
    return this.db.prepare('SELECT 1 FROM annotation_history WHERE undone = 1 LIMIT 1').get() !== undefined;
  }

  /** Reverts the latest edit; returns it, or null when there is nothing to undo. */
  undo(): HistoryEntry | null {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM annotation_history WHERE undone = 0 ORDER BY id DESC LIMIT 1').get() as HistoryRow | undefined;
      if (!row) return null;
      const entry = toEntry(row);
      for (const c of [...entry.changes].reverse()) this.apply(c.id, c.before);
      this.db.prepare('UPDATE annotation_history SET undone = 1 WHERE id = ?').run(row.id);
      return entry;
    })();
  }

  /** Re-applies the earliest undone edit. */
  redo(): HistoryEntry | null {
    return this.db.transaction(() => {
      const row = this.db.prepare('SELECT * FROM annotation_history WHERE undone = 1 ORDER BY id ASC LIMIT 1').get() as HistoryRow | undefined;
      if (!row) return null;
      const entry = toEntry(row);
      for (const c of entry.changes) this.apply(c.id, c.after);
      this.db.prepare('UPDATE annotation_history SET undone = 0 WHERE id = ?').run(row.id);
      return entry;
    })();
  }

  private apply(id: number, part: RowPart | null): void {
    if (part === null) {
      this.db.prepare('DELETE FROM annotations WHERE id = ?').run(id);
      return;
    }
    const exists = this.db.prepare('SELECT 1 FROM annotations WHERE id = ?').get(id) !== undefined;
    if (!exists) {
      const cols = COLUMNS.filter((c) => c in part);
      this.db.prepare(`INSERT INTO annotations (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(part);
      return;
    }
    const cols = Object.keys(part).filter((c) => c !== 'id' && COLUMNS.includes(c));
    if (cols.length) this.db.prepare(`UPDATE annotations SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run({ ...part, id });
  }
}

interface HistoryRow { id: number; action: string; annotation_ids: string; before: string; after: string; user: string; created_at: string }

function toEntry(row: HistoryRow): HistoryEntry {
  const ids = JSON.parse(row.annotation_ids) as number[];
  const before = JSON.parse(row.before) as (RowPart | null)[];
  const after = JSON.parse(row.after) as (RowPart | null)[];
  return { id: row.id, action: row.action, user: row.user, createdAt: row.created_at, changes: ids.map((id, k) => ({ id, before: before[k], after: after[k] })) };
}
