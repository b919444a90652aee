// At most one writer per project. The owner row in project.sqlite is taken in an IMMEDIATE transaction, so two
// processes racing for a free (or dead owner's) project cannot both win; the owner keeps a heartbeat and
// publishes where its API listens, so every other process can attach to it instead of writing itself.
import { randomBytes } from 'node:crypto';
import { renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../store/database';
import { currentProcess, processAlive, type ProcessIdentity, sameProcess } from './process-identity';
import { type OwnerRecord, ownerId, readOwner, writeOwner } from './owner-record';

const HEARTBEAT_MS = 2_000;
/** An owner on another host (a shared folder) can only be judged by its heartbeat. */
const OTHER_HOST_STALE_MS = 60_000;
export const TOKEN_FILE = 'owner.token';

export type OwnerState = { kind: 'free' } | { kind: 'live'; owner: OwnerRecord } | { kind: 'dead'; owner: OwnerRecord };

export function ownerState(owner: OwnerRecord | null, me: ProcessIdentity = currentProcess(), now = Date.now()): OwnerState {
  if (!owner) return { kind: 'free' };
  if (owner.host === me.host) return processAlive(owner) ? { kind: 'live', owner } : { kind: 'dead', owner };
  return now - Date.parse(owner.heartbeatAt) < OTHER_HOST_STALE_MS ? { kind: 'live', owner } : { kind: 'dead', owner };
}

/** Engines of one process that share a project (tests, a server beside a CLI command) share its ownership. */
const holders = new Map<string, number>();

export class ProjectLock {
  readonly me = currentProcess();
  readonly ownerId = ownerId(this.me);
  private timer: NodeJS.Timeout | null = null;
  private lost = false;

  private constructor(private readonly db: Db, private readonly dir: string) {}

  /** Takes the project if it is free or its owner is dead; otherwise returns the live owner. */
  static acquire(db: Db, dir: string, command: string): { lock: ProjectLock; previous: OwnerRecord | null } | { owner: OwnerRecord } {
    const lock = new ProjectLock(db, dir);
    const outcome = db.transaction((): { owner: OwnerRecord } | { previous: OwnerRecord | null } => {
      const current = readOwner(db);
      const state = ownerState(current, lock.me);
      if (state.kind === 'live' && !sameProcess(state.owner, lock.me)) return { owner: state.owner };
      const now = new Date().toISOString();
      if (state.kind === 'live') return { previous: null };
      writeOwner(db, { ...lock.me, command, startedAt: now, heartbeatAt: now, apiUrl: null });
      return { previous: current };
    }).immediate();
    if ('owner' in outcome) return outcome;
    holders.set(dir, (holders.get(dir) ?? 0) + 1);
    lock.timer = setInterval(() => lock.beat(), HEARTBEAT_MS);
    lock.timer.unref();
    return { lock, previous: outcome.previous };
  }

  /** The owner's API address and token: the token goes to a file only this user can read, never into the database. */
  announce(apiUrl: string, token: string): void {
    this.update('api_url = ?', apiUrl);
    // A process that lost the project must not overwrite the new owner's token; attachers retry until it appears.
    if (this.lost) return;
    const file = path.join(this.dir, TOKEN_FILE);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, token, { mode: 0o600 });
    renameSync(tmp, file);
  }

  /** Stops new calls from attaching (they retry, then find the project free once released). */
  withdrawApi(): void {
    this.update('api_url = NULL');
  }

  /** False once another process took the project over (only possible when this one looked dead). */
  get held(): boolean {
    return !this.lost;
  }

  release(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const left = (holders.get(this.dir) ?? 1) - 1;
    if (left > 0) {
      holders.set(this.dir, left);
      return;
    }
    holders.delete(this.dir);
    if (this.lost) return;
    try {
      this.db.prepare('DELETE FROM owner WHERE id = 1 AND pid = ? AND host = ?').run(this.me.pid, this.me.host);
    } finally {
      rmSync(path.join(this.dir, TOKEN_FILE), { force: true });
    }
  }

  private beat(): void {
    try {
      this.update('heartbeat_at = ?', new Date().toISOString());
    } catch {
      // A busy database delays one heartbeat; the next one retries.
    }
  }

  private update(set: string, ...values: unknown[]): void {
    if (this.lost) return;
    const r = this.db.prepare(`UPDATE owner SET ${set} WHERE id = 1 AND pid = ? AND host = ?`).run(...values, this.me.pid, this.me.host);
    if (r.changes === 0) this.lost = true;
  }
}

/** The owner's token, readable by the same user only; null when the owner has not published one. */
export function readOwnerToken(dir: string): string | null {
  try {
    return readFileSync(path.join(dir, TOKEN_FILE), 'utf8').trim() || null;
  } catch {
    return null;
  }
}
