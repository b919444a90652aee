// Prepared statements kept per connection: preparing a join costs tens of microseconds, as much as running it
// for a page, and the UI asks for the same pages again and again.
import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

const perDb = new WeakMap<Db, Map<string, Statement>>();

/** The connection's statement for `sql`, prepared once (`pluck`: rows read as their first column). */
export function statement(db: Db, sql: string, { pluck = false } = {}): Statement {
  let map = perDb.get(db);
  if (!map) perDb.set(db, (map = new Map()));
  const key = `${pluck ? 'pluck' : 'rows'}:${sql}`;
  let stmt = map.get(key);
  if (!stmt) map.set(key, (stmt = pluck ? db.prepare(sql).pluck() : db.prepare(sql)));
  return stmt;
}
