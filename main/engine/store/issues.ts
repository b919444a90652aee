import type { IssueT } from '../../domain/project';
import type { Db } from './database';

export interface NewIssue {
  severity?: 'error' | 'warning';
  kind: string;
  message: string;
  sourceId?: number | null;
  itemId?: number | null;
  jobId?: number | null;
  location?: string | null;
  /** The raw text of a tool's message (libvips, a JSON parser) when `message` says it in plain words. */
  detail?: string | null;
}

interface IssueRow {
  id: number; severity: 'error' | 'warning'; kind: string; message: string; source_id: number | null;
  item_id: number | null; job_id: number | null; location: string | null; detail: string | null; created_at: string;
}

const toIssue = (r: IssueRow): IssueT => ({
  id: r.id, severity: r.severity, kind: r.kind, message: r.message, sourceId: r.source_id,
  itemId: r.item_id, jobId: r.job_id, location: r.location, detail: r.detail, createdAt: r.created_at,
});

/** The project's list of problems with its input: every skipped file or row lands here with its reason. */
export class IssueStore {
  private readonly insert;
  constructor(private readonly db: Db) {
    // The unique index issues_once (migration 9) says what "the same issue" is: kind + source + item + location.
    this.insert = db.prepare(
      `INSERT INTO issues (severity, kind, message, source_id, item_id, job_id, location, detail)
       VALUES (@severity, @kind, @message, @sourceId, @itemId, @jobId, @location, @detail)
       ON CONFLICT DO NOTHING`,
    );
  }

  /** Records an issue unless the same one (kind, source, item, location) is already there; true when it was new. */
  add(issue: NewIssue): boolean {
    return this.insert.run({
      severity: issue.severity ?? 'error', kind: issue.kind, message: issue.message,
      sourceId: issue.sourceId ?? null, itemId: issue.itemId ?? null, jobId: issue.jobId ?? null,
      location: issue.location ?? null, detail: issue.detail ?? null,
    }).changes > 0;
  }

  count(sourceId?: number): number {
    const row = sourceId === undefined
      ? this.db.prepare('SELECT count(*) n FROM issues').get()
      : this.db.prepare('SELECT count(*) n FROM issues WHERE source_id = ?').get(sourceId);
    return (row as { n: number }).n;
  }

  list(offset: number, limit: number, sourceId?: number): IssueT[] {
    const rows = sourceId === undefined
      ? this.db.prepare('SELECT * FROM issues ORDER BY id LIMIT ? OFFSET ?').all(limit, offset)
      : this.db.prepare('SELECT * FROM issues WHERE source_id = ? ORDER BY id LIMIT ? OFFSET ?').all(sourceId, limit, offset);
    return (rows as IssueRow[]).map(toIssue);
  }

  forItem(itemId: number): IssueT[] {
    return (this.db.prepare('SELECT * FROM issues WHERE item_id = ? ORDER BY id').all(itemId) as IssueRow[]).map(toIssue);
  }

  /** True when an issue of this kind was already recorded for the item (so lazy work reports once). */
  has(itemId: number, kind: string): boolean {
    return this.db.prepare('SELECT 1 FROM issues WHERE item_id = ? AND kind = ?').get(itemId, kind) !== undefined;
  }
}
