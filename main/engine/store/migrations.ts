// Numbered, append-only schema migrations. A shipped migration is never edited: add a new one.
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'meta, sources, items, captions, jobs, issues',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        path TEXT NOT NULL,
        root TEXT NOT NULL,
        name TEXT NOT NULL,
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (kind, path)
      );
      CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        uri TEXT NOT NULL,
        format TEXT,
        width INTEGER,
        height INTEGER,
        bytes INTEGER,
        sha256 TEXT,
        extra TEXT,
        added_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        UNIQUE (source_id, key)
      );
      CREATE INDEX items_sha256 ON items(sha256);
      CREATE TABLE captions (
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        origin TEXT NOT NULL,
        text TEXT NOT NULL,
        is_primary INTEGER NOT NULL DEFAULT 1,
        PRIMARY KEY (item_id, origin)
      );
      CREATE INDEX captions_primary ON captions(item_id) WHERE is_primary = 1;
      CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        params TEXT NOT NULL,
        state TEXT NOT NULL,
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER,
        checkpoint TEXT,
        error TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        finished_at TEXT
      );
      CREATE TABLE issues (
        id INTEGER PRIMARY KEY,
        severity TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        source_id INTEGER REFERENCES sources(id) ON DELETE CASCADE,
        item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
        job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
        location TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
      );
      CREATE INDEX issues_source ON issues(source_id);
    `,
  },
];
