// The project's owner as stored in project.sqlite (table `owner`, one row): who writes the project now.
import type { Db } from '../store/database';
import type { ProcessIdentity } from './process-identity';

export interface OwnerRecord extends ProcessIdentity {
  /** What the owner runs, for the one line other processes print ("winnow embed", "winnow serve", "Winnow app"). */
  command: string;
  startedAt: string;
  heartbeatAt: string;
  /** Where the owner's API listens (http://127.0.0.1:PORT), null until it listens or while it closes. */
  apiUrl: string | null;
}

interface OwnerRow {
  pid: number; host: string; process_start: string | null; command: string; started_at: string; heartbeat_at: string; api_url: string | null;
}

export function readOwner(db: Db): OwnerRecord | null {
  const row = db.prepare('SELECT * FROM owner WHERE id = 1').get() as OwnerRow | undefined;
  return row
    ? { pid: row.pid, host: row.host, processStart: row.process_start, command: row.command, startedAt: row.started_at, heartbeatAt: row.heartbeat_at, apiUrl: row.api_url }
    : null;
}

export function writeOwner(db: Db, o: OwnerRecord): void {
  db.prepare(`INSERT OR REPLACE INTO owner (id, pid, host, process_start, command, started_at, heartbeat_at, api_url) VALUES (1, ?, ?, ?, ?, ?, ?, ?)`)
    .run(o.pid, o.host, o.processStart, o.command, o.startedAt, o.heartbeatAt, o.apiUrl);
}

/** Owner id stored on the jobs it runs: enough to tell later whether that process is gone. */
export function ownerId(p: ProcessIdentity): string {
  return `${p.host}/${p.pid}/${p.processStart ?? '?'}`;
}
