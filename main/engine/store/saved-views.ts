// The saved_views table: named grid states (domain/views.ts), created, renamed, replaced and deleted by name.
import { ApiError } from '../../domain/errors';
import { describeView, type SavedViewT, ViewState, type ViewStateT } from '../../domain/views';
import type { Db } from './database';

interface Row { id: number; name: string; state: string; created_at: string; updated_at: string }
const toView = (r: Row): SavedViewT => {
  const state = ViewState.parse(JSON.parse(r.state));
  return { id: r.id, name: r.name, state, summary: describeView(state), createdAt: r.created_at, updatedAt: r.updated_at };
};

export class SavedViewStore {
  constructor(private readonly db: Db) {}

  list(): SavedViewT[] {
    return (this.db.prepare('SELECT * FROM saved_views ORDER BY name COLLATE NOCASE').all() as Row[]).map(toView);
  }

  get(name: string): SavedViewT {
    const row = this.db.prepare('SELECT * FROM saved_views WHERE name = ?').get(name) as Row | undefined;
    if (!row) throw new ApiError('not_found', `no saved view named “${name}”`);
    return toView(row);
  }

  /** Creates the view, or replaces the state of the one with this name. */
  save(name: string, state: ViewStateT): SavedViewT {
    this.db.prepare(
      `INSERT INTO saved_views (name, state) VALUES (?, ?)
       ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
    ).run(name, JSON.stringify(ViewState.parse(state)));
    return this.get(name);
  }

  rename(from: string, to: string): SavedViewT {
    this.get(from);
    if (from !== to && this.db.prepare('SELECT 1 FROM saved_views WHERE name = ?').get(to)) throw new ApiError('conflict', `a view named “${to}” already exists`);
    this.db.prepare(`UPDATE saved_views SET name = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE name = ?`).run(to, from);
    return this.get(to);
  }

  delete(name: string): void {
    if (this.db.prepare('DELETE FROM saved_views WHERE name = ?').run(name).changes === 0) throw new ApiError('not_found', `no saved view named “${name}”`);
  }
}
