// Every project command runs through here: one front door to the project, whichever process owns it.
import { describeOwner } from '../api/contract';
import type { CommandContext } from './commands';
import { projectDir } from './project-arg';
import { ProjectSession } from './session';

export function requireProjectDir(ctx: CommandContext): string {
  const dir = projectDir(ctx.values.project);
  if (!dir) throw new Error('no project: pass --project DIR, set WINNOW_PROJECT, or run inside a project folder (see `winnow init`)');
  return dir;
}

/**
 * Runs a command against its project as the project's owner, or attached to the process that owns it.
 * Ctrl-C stops cleanly: an owner leaves its jobs resumable, an attached command detaches. A command that only
 * reads passes `access: 'read-when-free'` (see ProjectSession.open).
 */
export async function withSession(ctx: CommandContext, command: string, body: (session: ProjectSession) => Promise<number>, options: Parameters<typeof ProjectSession.open>[2] = {}): Promise<number> {
  const session = await ProjectSession.open(requireProjectDir(ctx), command, options);
  if (session.attachedTo) process.stderr.write(`attached to ${describeOwner(session.attachedTo)}\n`);
  const stop = () => {
    process.stderr.write(session.owned ? '\nstopping; run `winnow resume` to continue\n' : session.readOnly ? '\nstopped\n' : '\ndetached; the job goes on in the process that owns the project\n');
    void session.abort();
  };
  process.once('SIGINT', stop);
  try {
    return await body(session);
  } catch (err) {
    // After Ctrl-C the project is closed under the command: what follows fails, and was already explained.
    if (session.aborted) return 130;
    throw err;
  } finally {
    process.off('SIGINT', stop);
    await session.close();
  }
}
