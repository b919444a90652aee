import type { SourceT } from '../../domain/project';
import type { Db } from './database';

interface SourceRow { id: number; kind: SourceT['kind']; path: string; root: string; name: string; added_at: string; item_count: number; issue_count: number }

const SELECT = `SELECT s.*, coalesce((SELECT n FROM item_counts c WHERE c.source_id = s.id), 0) item_count,
  (SELECT count(*) FROM issues x WHERE x.source_id = s.id) issue_count FROM sources s`;

const toSource = (r: SourceRow): SourceT => ({
  id: r.id, kind: r.kind, path: r.path, root: r.root, name: r.name, addedAt: r.added_at,
  itemCount: r.item_count, issueCount: r.issue_count,
});

export class SourceStore {
  constructor(private readonly db: Db) {}

  list(): SourceT[] {
    return (this.db.prepare(`${SELECT} ORDER BY s.id`).all() as SourceRow[]).map(toSource);
  }

  get(id: number): SourceT | undefined {
    const row = this.db.prepare(`${SELECT} WHERE s.id = ?`).get(id) as SourceRow | undefined;
    return row && toSource(row);
  }

  find(kind: SourceT['kind'], path: string): SourceT | undefined {
    const row = this.db.prepare(`${SELECT} WHERE s.kind = ? AND s.path = ?`).get(kind, path) as SourceRow | undefined;
    return row && toSource(row);
  }

  add(kind: SourceT['kind'], path: string, root: string, name: string): SourceT {
    const id = Number(this.db.prepare('INSERT INTO sources (kind, path, root, name) VALUES (?, ?, ?, ?)').run(kind, path, root, name).lastInsertRowid);
    return this.get(id)!;
  }

  /** Roots under which the media server may read files: the only folders Winnow ever serves from. */
  /** Kind and path of every source: what its media root is derived from (the stored root column is not trusted for reads). */
  locations(): Map<number, { kind: SourceT['kind']; path: string }> {
    const rows = this.db.prepare('SELECT id, kind, path FROM sources').all() as { id: number; kind: SourceT['kind']; path: string }[];
    return new Map(rows.map((r) => [r.id, { kind: r.kind, path: r.path }]));
  }
}
