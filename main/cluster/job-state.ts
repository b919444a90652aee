// A queue job and its state, for the followers that poll them. The state is read first: a job object fetched
// before it finished has neither returnvalue nor failedReason, and its state read afterwards would say it had.
import type { Job, JobState, Queue } from 'bullmq';

export interface JobAndState { job: Job | undefined; state: JobState | 'unknown' | 'missing' }

/** Job `id` of `queue` and its state; 'missing' when there is no such job (removed by cluster cancel, or never added). */
export async function jobAndState(queue: Queue, id: string): Promise<JobAndState> {
  const state = await queue.getJobState(id);
  const job = await queue.getJob(id);
  return { job, state: job ? state : 'missing' };
}
