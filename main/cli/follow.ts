// Follows one job to its end with a progress bar, whichever process runs it. An attached command whose owner
// goes away reconnects (taking the project over if the owner died) and resumes the job where it stopped.
import type { JobT } from '../api/contract';
import { ApiUnreachableError } from '../server/remote-client';
import type { CommandContext } from './commands';
import { ProgressBar } from './progress-bar';
import type { ProjectSession } from './session';

const FINAL = new Set<JobT['state']>(['done', 'failed', 'cancelled', 'interrupted']);

export async function followJob(session: ProjectSession, jobId: number, ctx: CommandContext, unit: 'items' | 'bytes' = 'items'): Promise<JobT> {
  const bar = ctx.values.json ? null : new ProgressBar(unit);
  for (;;) {
    const outcome = await watch(session, jobId, (job) => bar?.update(job));
    if (outcome !== 'lost') {
      // Seen from an attached process, 'interrupted' means the owner closed mid-job: carry on under the next owner.
      if (!(outcome.state === 'interrupted' && !session.owned && session.attachedTo)) return outcome;
    }
    await session.reconnect();
    const job = await session.client.call('jobs.get', { id: jobId });
    if (job.state === 'interrupted') await session.client.call('jobs.resume', { id: jobId });
  }
}

function watch(session: ProjectSession, jobId: number, show: (job: JobT) => void): Promise<JobT | 'lost'> {
  return new Promise((resolve, reject) => {
    const settle = (v: JobT | 'lost') => {
      offProgress();
      offLost();
      resolve(v);
    };
    const seen = (job: JobT) => {
      if (job.id !== jobId) return;
      show(job);
      if (FINAL.has(job.state)) settle(job);
    };
    const offProgress = session.client.on('job.progress', seen);
    const offLost = session.onLost(() => settle('lost'));
    // Subscribe first, then read the current state: a job that ended before we subscribed is still seen.
    session.client.ready()
      .then(() => session.client.call('jobs.get', { id: jobId }))
      .then(seen, (err: unknown) => (err instanceof ApiUnreachableError ? settle('lost') : (offProgress(), offLost(), reject(err))));
  });
}

/** The one line every command prints for a job that did not finish. */
export function jobFailure(job: JobT): string {
  return `${job.title}: ${job.state}${job.error ? `: ${job.error}` : ''}`;
}
