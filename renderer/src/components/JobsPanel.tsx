import type { JobT } from '../../../main/api/contract';
import { api } from '../api/client';
import { upsertJob, useJobs } from '../api/queries';
import { useStore } from '../state/store';

function eta(sec: number | null): string {
  if (sec === null) return '';
  if (sec < 60) return `${Math.ceil(sec)}s left`;
  return `${Math.floor(sec / 60)}m ${Math.round(sec % 60)}s left`;
}

function JobRow({ job }: { job: JobT }) {
  const frac = job.total ? Math.min(1, job.done / job.total) : job.state === 'done' ? 1 : 0;
  const act = (m: 'jobs.cancel' | 'jobs.resume') => api.call(m, { id: job.id }).then(upsertJob, useStore.getState().report);
  return (
    <div className={`job ${job.state}`} data-testid="job" data-state={job.state}>
      <div className="job-head">
        <span className="title">{job.title}</span>
        <span className="state">{job.state}</span>
        {(job.state === 'running' || job.state === 'queued') && <button className="link" onClick={() => void act('jobs.cancel')}>Cancel</button>}
        {(job.state === 'interrupted' || job.state === 'cancelled' || job.state === 'failed') && <button className="link" onClick={() => void act('jobs.resume')}>Resume</button>}
      </div>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={job.total ?? 0} aria-valuenow={job.done}>
        <div style={{ width: `${frac * 100}%` }} />
      </div>
      <div className="job-meta muted small">
        {job.done.toLocaleString()}{job.total !== null && ` / ${job.total.toLocaleString()}`}
        {job.ratePerSec !== null && job.state === 'running' && ` · ${job.ratePerSec.toFixed(job.ratePerSec < 10 ? 1 : 0)}/s`}
        {job.state === 'running' && ` · ${eta(job.etaSec)}`}
        {job.error && <span className="error"> · {job.error}</span>}
      </div>
    </div>
  );
}

/** Live progress of the project's jobs (newest first); finished ones collapse to the last few. */
export function JobsPanel() {
  const jobs = useJobs();
  const active = jobs.filter((j) => j.state === 'running' || j.state === 'queued' || j.state === 'interrupted');
  const recent = jobs.filter((j) => !active.includes(j)).slice(0, 3);
  if (jobs.length === 0) return null;
  return (
    <section className="jobs-panel" data-testid="jobs-panel" aria-label="Jobs">
      <h3>Jobs</h3>
      {[...active, ...recent].map((j) => <JobRow key={j.id} job={j} />)}
    </section>
  );
}
