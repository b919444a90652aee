// The project lock's rules on a real SQLite file: live vs dead owners (gone, reused pid, other host), sharing
// within one process, release, and losing the project to a takeover.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../main/engine/store/database';
import { ownerState, ProjectLock, readOwnerToken, TOKEN_FILE } from '../../main/engine/ownership/project-lock';
import { readOwner, writeOwner, type OwnerRecord } from '../../main/engine/ownership/owner-record';
import { currentProcess, processAlive } from '../../main/engine/ownership/process-identity';

function project() {
  const dir = mkdtempSync(path.join(tmpdir(), 'winnow-lock-'));
  return { dir, db: openDatabase(path.join(dir, 'project.sqlite')) };
}

/** A pid that certainly belongs to no running process: a child that has exited and been reaped. */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

const now = new Date().toISOString();
const record = (over: Partial<OwnerRecord>): OwnerRecord => ({ ...currentProcess(), command: 'winnow test', startedAt: now, heartbeatAt: now, apiUrl: null, ...over });

describe('project lock', () => {
  it('tells a live owner from a dead one: gone, pid reused, or silent on another host', () => {
    const me = currentProcess();
    expect(processAlive(me)).toBe(true);
    expect(ownerState(record({})).kind).toBe('live');
    expect(ownerState(record({ pid: deadPid() })).kind).toBe('dead');
    // Same pid, different start time: the pid was reused by another process.
    if (me.processStart !== null) expect(ownerState(record({ processStart: String(Number(me.processStart) + 1) })).kind).toBe('dead');
    const other = { host: `${hostname()}-elsewhere` };
    expect(ownerState(record({ ...other, heartbeatAt: new Date(Date.now() - 5_000).toISOString() })).kind).toBe('live');
    expect(ownerState(record({ ...other, heartbeatAt: new Date(Date.now() - 120_000).toISOString() })).kind).toBe('dead');
    expect(ownerState(null).kind).toBe('free');
  });

  it('refuses a live owner, takes over a dead one, and releases only its own row', () => {
    const { dir, db } = project();
    writeOwner(db, record({ pid: process.ppid, processStart: null, command: 'winnow embed' }));
    const refused = ProjectLock.acquire(db, dir, 'winnow serve');
    expect('owner' in refused && refused.owner.command).toBe('winnow embed');

    const dead = record({ pid: deadPid(), command: 'winnow embed' });
    writeOwner(db, dead);
    const taken = ProjectLock.acquire(db, dir, 'winnow serve');
    if (!('lock' in taken)) throw new Error('expected to take over a dead owner');
    expect(taken.previous).toMatchObject({ pid: dead.pid, command: 'winnow embed' });
    expect(readOwner(db)).toMatchObject({ pid: process.pid, command: 'winnow serve', apiUrl: null });

    taken.lock.announce('http://127.0.0.1:1234', 'secret-token');
    expect(readOwner(db)!.apiUrl).toBe('http://127.0.0.1:1234');
    expect(readOwnerToken(dir)).toBe('secret-token');
    expect(statSync(path.join(dir, TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(JSON.stringify(db.prepare('SELECT * FROM owner').all())).not.toContain('secret-token');

    taken.lock.release();
    expect(readOwner(db)).toBeNull();
    expect(readOwnerToken(dir)).toBeNull();
  });

  it('shares ownership between engines of one process and frees it when the last one releases', () => {
    const { dir, db } = project();
    const a = ProjectLock.acquire(db, dir, 'first');
    const b = ProjectLock.acquire(db, dir, 'second');
    if (!('lock' in a) || !('lock' in b)) throw new Error('one process shares its own project');
    b.lock.release();
    expect(readOwner(db)?.command).toBe('first');
    a.lock.release();
    expect(readOwner(db)).toBeNull();
  });

  it('notices when another process took the project over (it looked dead) and stops writing the owner row', () => {
    const { dir, db } = project();
    const mine = ProjectLock.acquire(db, dir, 'slow owner');
    if (!('lock' in mine)) throw new Error('free project');
    writeOwner(db, record({ pid: process.ppid, processStart: null, command: 'new owner' }));
    mine.lock.announce('http://127.0.0.1:9', 'x');
    expect(mine.lock.held).toBe(false);
    expect(readOwnerToken(dir)).toBeNull();
    mine.lock.release();
    expect(readOwner(db)?.command).toBe('new owner');
  });
});
