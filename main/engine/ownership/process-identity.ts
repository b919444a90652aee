// Who a process is, precisely enough to tell a live owner from a dead one whose pid was reused.
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface ProcessIdentity {
  pid: number;
  host: string;
  /** Kernel start time of the process (Linux: /proc/<pid>/stat field 22), null where unknown. */
  processStart: string | null;
}

/** Linux /proc/<pid>/stat: [state, starttime]; null when the process does not exist or /proc is absent. */
function procStat(pid: number): { state: string; start: string } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields after it start at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], start: fields[19] };
  } catch {
    return null;
  }
}

export function currentProcess(): ProcessIdentity {
  return { pid: process.pid, host: hostname(), processStart: procStat(process.pid)?.start ?? null };
}

export function sameProcess(a: ProcessIdentity, b: ProcessIdentity): boolean {
  return a.pid === b.pid && a.host === b.host && a.processStart === b.processStart;
}

/**
 * Whether a process on THIS host still runs. A slow process is alive; only a process that is gone, a
 * zombie, or a different process that reused the pid counts as dead.
 */
export function processAlive(p: ProcessIdentity): boolean {
  try {
    process.kill(p.pid, 0);
  } catch (err) {
    // EPERM: the pid exists but belongs to another user, which is still a live process.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(p.pid);
  if (!stat) return process.platform !== 'linux';
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return p.processStart === null || stat.start === p.processStart;
}
