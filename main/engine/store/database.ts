import Database from 'better-sqlite3';
import { migrations } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) a project database in WAL mode and brings its schema up to date. `readonly`
 * opens it for a process that does not own the project: no migration, and SQLite refuses every write.
 */
export function openDatabase(file: string, { readonly = false } = {}): Db {
  const db = new Database(file, { readonly, fileMustExist: readonly });
  try {
    if (!readonly) db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode; only an OS crash can lose the last commit.
    if (!readonly) db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (readonly) requireCurrentSchema(db);
    else migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

const ordered = [...migrations].sort((a, b) => a.version - b.version);
const latest = ordered.at(-1)?.version ?? 0;

function tooNew(current: number): Error {
  return new Error(`project.sqlite has schema version ${current}, newer than this Winnow understands (${latest}); update Winnow`);
}

/** A read-only open of a project whose schema is older than this Winnow's: an owner must open it once to migrate it. */
export class SchemaOutdatedError extends Error {
  constructor(readonly version: number) {
    super(`project.sqlite has schema version ${version}; open it once with write access to upgrade it to ${latest}`);
    this.name = 'SchemaOutdatedError';
  }
}

function requireCurrentSchema(db: Db): void {
  const current = schemaVersion(db);
  if (current > latest) throw tooNew(current);
  if (current < latest) throw new SchemaOutdatedError(current);
}

function migrate(db: Db): void {
  if (schemaVersion(db) === latest) return;
  // IMMEDIATE: two processes opening an old project at once must not both run the same migration.
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > latest) throw tooNew(current);
    const afterAll: ((db: Db) => void)[] = [];
    for (const m of ordered) {
      if (m.version <= current) continue;
      db.exec(m.sql);
      m.up?.(db);
      if (m.afterAll) afterAll.push(m.afterAll);
      db.pragma(`user_version = ${m.version}`);
    }
    for (const run of afterAll) run(db);
  }).immediate();
}
